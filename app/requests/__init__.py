"""Requests for a strategy discussion, from any agency, and social care's triage of them."""
