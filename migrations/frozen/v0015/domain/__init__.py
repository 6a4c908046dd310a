"""The domain: what a strategy record is (its shape, its fixed choices, its sections).

The bottom layer: it imports nothing else of the app but settings; everything else builds on it.
"""
