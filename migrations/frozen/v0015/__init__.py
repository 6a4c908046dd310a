"""A frozen copy of the application's pure code (the record's schema, the rules, the clock,
settings and the derivations built on them) as it stood at migration 0015, for the migrations
that fill columns from stored documents (0004, 0006, 0009).

A migration must behave the same forever, so it never imports the live application: its
behaviour would change whenever the application does. Never edit these files to follow the
application; a later migration that needs newer code takes its own copy beside this one.
Imports inside point here, not at `app`.
"""
