"""Strategy Record: multi-agency child-protection strategy discussions."""
