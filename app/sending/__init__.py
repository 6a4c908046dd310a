"""Sending the record to every agency on its distribution list, and knowing it arrived."""
