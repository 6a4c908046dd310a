"""Small parsing helpers every layer may use: posted form pairs, typed whole numbers, and
dates and times as people type them.

Neutral ground: nothing here knows about records, users or pages (only what a date may be).
"""

import re
from datetime import date

from app.clock import uk_now
from app.domain.fields import YEAR_IN_FULL, year_in_full

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


# --- dates and times as people type them ----------------------------------------------------
#
# One reading for every date a person types: the record's day, month and year boxes
# (app/records/forms.py) and the one-box dates of the follow-up forms. A year is always typed
# in full: "31/12/99" is refused with a message saying so, never guessed into a century.

DATE_MESSAGE = "Enter the date as, for example, 27 3 2026 or 27/3/2026, or type today"
TIME_MESSAGE = "Enter the time as, for example, 14:05 or 2.05pm, or type now"
# Words for the present, typed in the day box (a date) or the time box (a time): read as UK
# local time when the form is saved.
TODAY_WORDS = ("today", "now")
NOW_WORD = "now"
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")

# A whole date typed in one box: 4/4/2026, 04.04.2026, 4-4-2026, 4 4 2026 (and, to be refused
# with the right message, the same with a two-digit year).
_WHOLE_DATE = re.compile(r"(\d{1,2})\s*[/.\-\s]\s*(\d{1,2})\s*[/.\-\s]\s*(\d{4}|\d{2})")
# What a browser's date input sends.
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_CLOCK = re.compile(r"(\d{1,2})(?:[:.]?(\d{2}))?(am|pm)?")
_CLOCK_WORDS = {"midday": "12:00", "noon": "12:00", "midnight": "00:00"}


def date_numbers(day: str, month: str, year: str) -> tuple[int, int, int] | None:
    """(day, month, year) as typed in the boxes (the whole date may be in the day box); None
    if they do not read as a date."""
    if day.lower() in TODAY_WORDS:
        today = uk_now().date()
        # "today" fills the date, unless the month or year boxes say otherwise.
        if (month and _month_number(month) != today.month) or (
                year and _full_year(year) != today.year):
            return None
        return today.day, today.month, today.year
    whole = _WHOLE_DATE.fullmatch(day)
    if whole:
        # The whole date typed in the day box fills the date, unless the other boxes disagree.
        day, typed_month, typed_year = whole.groups()
        if month and whole_number(month) != int(typed_month):
            return None
        if year and _full_year(year) != _full_year(typed_year):
            return None
        month, year = typed_month, typed_year
    numbers = (whole_number(day, 2), _month_number(month), _full_year(year))
    return None if None in numbers else numbers


def date_problem(day: str, month: str, year: str) -> str | None:
    """How to type the date, if the boxes do not read as one (None if they do)."""
    if date_numbers(day, month, year) is not None:
        return None
    whole = _WHOLE_DATE.fullmatch(day)
    typed_year = year or (whole.group(3) if whole else "")
    return YEAR_IN_FULL if len(typed_year) == 2 and typed_year.isdigit() else DATE_MESSAGE


def typed_date(text: str) -> date:
    """The date typed in one box: as a date input sends it (2026-11-23), as people type it
    (23/11/2026, 23 11 2026) or `today`. ValueError saying how to type it otherwise."""
    text = text.strip()
    iso = _ISO_DATE.fullmatch(text)
    numbers = ((int(iso.group(3)), int(iso.group(2)), int(iso.group(1))) if iso
               else date_numbers(text, "", ""))
    if numbers is None:
        raise ValueError(date_problem(text, "", "") or DATE_MESSAGE)
    try:
        value = date(numbers[2], numbers[1], numbers[0])
    except ValueError:
        raise ValueError("Enter a real date, like 27 3 2026") from None
    year_in_full(value)  # 0099-12-31
    return value


REAL_DATE_MESSAGE = "Enter a real date, like 27 3 2026"


def date_boxes_problem(day: str, month: str, year: str, time: str | None
                       ) -> tuple[str, frozenset[str]] | None:
    """What is wrong with a date's boxes (and its time box, where it has one), said once for
    the whole field, and which boxes are wrong: (message, parts), or None if nothing is.
    The date and the time are judged together, so a person fixing one is told of the other
    at the same time (31 February with a time of 25:00 gets both)."""
    parts: set[str] = set()
    date_message = None
    if any((day, month, year)):
        date_message = date_problem(day, month, year)
        if date_message:
            parts |= _unreadable_parts(day, month, year)
        else:
            numbers = date_numbers(day, month, year)
            try:
                date(numbers[2], numbers[1], numbers[0])
            except ValueError:
                date_message = REAL_DATE_MESSAGE
                parts |= {"day", "month"} if numbers[0] <= 31 else {"day"}
    time_wrong = bool(time) and typed_time(time) is None
    if time_wrong:
        parts.add("time")
    if date_message and time_wrong:
        first = date_message.removesuffix(", or type today")
        return f"{first}, and the time as, for example, 14:05 or 2.05pm", frozenset(parts)
    if date_message or time_wrong:
        return date_message or TIME_MESSAGE, frozenset(parts)
    return None


def _unreadable_parts(day: str, month: str, year: str) -> set[str]:
    """The date boxes that do not read on their own (all three if each does but not together)."""
    if _WHOLE_DATE.fullmatch(day) or day.lower() in TODAY_WORDS:
        return {"day", "month", "year"}
    wrong = {part for part, ok in (("day", whole_number(day, 2) is not None),
                                   ("month", _month_number(month) is not None),
                                   ("year", _full_year(year) is not None)) if not ok}
    return wrong or {"day", "month", "year"}


def _month_number(text: str) -> int | None:
    name = text.lower().rstrip(".")
    if len(name) >= 3 and name.isalpha():
        return next((n for n, month in enumerate(MONTHS, 1) if month.startswith(name)), None)
    return whole_number(text, 2)


def _full_year(text: str) -> int | None:
    """The year typed, if it is typed in full (four digits)."""
    return whole_number(text, 4) if len(text) == 4 else None


def typed_time(text: str) -> str | None:
    """HH:MM for a time typed as people type it (14:05, 1405, 14.05, 2.05pm, 2:05 p.m., 2pm,
    midday, now), or None if it is not a time of day."""
    compact = re.sub(r"\s+", "", text.lower()).replace("a.m.", "am").replace("p.m.", "pm")
    compact = compact.rstrip(".")
    if compact == NOW_WORD:
        return f"{uk_now():%H:%M}"
    if compact in _CLOCK_WORDS:
        return _CLOCK_WORDS[compact]
    match = _CLOCK.fullmatch(compact)
    if not match or (match.group(2) is None and match.group(3) is None):
        return None  # "14" alone: too easily a slip for a date or a duration
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"
