"""The live audit report: the audits' questions answered over every finalised record."""
