"""Completeness and timescale rules: pure functions over a record, no I/O."""
