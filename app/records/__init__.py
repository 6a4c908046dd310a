"""The strategy record: its shape, form parsing, service functions and routes."""
