"""Users, sessions, API tokens, who may do what, and the audit log."""
