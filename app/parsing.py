"""Small parsing helpers every layer may use: posted form pairs and typed whole numbers.

Neutral ground: nothing here knows about records, users or pages.
"""

FormValues = dict[str, str | list[str]]


def whole_number(text, max_digits: int = 9) -> int | None:
    """The number typed, if it is plain ASCII digits of sensible length; otherwise None.

    (str.isdigit() accepts characters such as '²' that int() refuses.)
    """
    if isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= max_digits:
        return int(text)
    return None


def form_values(items: list[tuple[str, str]]) -> FormValues:
    """A flat dict from posted pairs; a key posted more than once (checkboxes) keeps a list."""
    values: FormValues = {}
    for key, value in items:
        if not isinstance(value, str):
            continue  # an uploaded file where text was expected: nothing here takes files
        # PostgreSQL text cannot hold NUL, and no person types one.
        key, value = key.replace("\x00", ""), value.replace("\x00", "")
        if key in values:
            existing = values[key]
            values[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            values[key] = value
    return values
