"""The types a record's fields are made of: text of a sane length, real dates (typed in full,
not in the future where that matters), phone numbers, ids of organisations and staff, choices
and rows. Validation here checks only that what was given is well formed; the record's parts
that use them are declared in app/domain/schema.py.
"""

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, TypeVar
from uuid import uuid4

from pydantic import (
    AfterValidator,
    BeforeValidator,
    EmailStr,
    Field,
    StrictInt,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.clock import UK, uk_now, wall_clock  # noqa: F401 (UK and uk_now: the domain's names for them)

SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 10_000
MAX_ROWS = 100
UPDATE_AGENCIES_TEXT = "CSC will update all agencies involved on outcomes/actions taken by"


def _blank_to_none(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _as_list(value: object) -> object:
    if value is None or value == "":
        return []
    if isinstance(value, (str, dict)):
        return [value]
    return value


def _to_uk_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    try:
        return wall_clock(value)
    except OverflowError:  # year 1 or 9999 with an offset: no such UK time
        raise ValueError("must be a real date and time, like 27 3 2026 and 14:30") from None


def _checking_input(info: ValidationInfo) -> bool:
    """False when re-reading a stored record: "not in the future" was judged when it was saved."""
    return not (info.context and info.context.get("stored"))


# A date typed with a short year ("31/12/99", or "0099-12-31" from a client) is refused, never
# guessed into a century: 99 read as 1999 put a discussion 27 years in the past. No date a
# record holds (a child's birth, a concern, a conference) is before this year.
EARLIEST_YEAR = 1900
YEAR_IN_FULL = "Enter the year in full, like 2026"


def year_in_full(value: date | datetime | None) -> None:
    """ValueError (saying how to type it) for a date whose year cannot have been typed in full."""
    if value is not None and value.year < EARLIEST_YEAR:
        raise ValueError(YEAR_IN_FULL)


def _full_year(value: date | datetime | None, info: ValidationInfo) -> date | datetime | None:
    if _checking_input(info):
        year_in_full(value)
    return value


def _not_in_future(value: date | datetime | None, info: ValidationInfo) -> date | datetime | None:
    if value is None or not _checking_input(info):
        return value
    now = uk_now()
    if isinstance(value, datetime):
        if value > now + timedelta(minutes=5):
            raise ValueError("must not be in the future")
    elif value > now.date():
        raise ValueError("must not be in the future")
    return value


# --- the hours the clocks change (UK wall-clock times are stored as typed, with `<name>_clock`
# saying BST or GMT in the repeated hour: together, one instant, read in UTC by utc_of) ------


def _as_uk(value: datetime, fold: int) -> datetime:
    return value.replace(tzinfo=UK, fold=fold)


def repeated_hour(value: datetime | None) -> bool:
    """A time that happened twice: 1am to 2am on the night the clocks go back. (The two readings
    of a time differ in the hour skipped in March too: that hour never happened.)"""
    return value is not None and value.tzinfo is None and not skipped_hour(value) and (
        _as_uk(value, 0).utcoffset() != _as_uk(value, 1).utcoffset())


def skipped_hour(value: datetime | None) -> bool:
    """A time that never happened: 1am to 2am on the night the clocks go forward."""
    if value is None or value.tzinfo is not None:
        return False
    return _as_uk(value, 0).astimezone(UTC).astimezone(UK).replace(tzinfo=None) != value


def wall_clock_in_utc(value: datetime, second: bool = False) -> datetime:
    """A UK wall-clock time in UTC; `second`: the repeated hour's second time (GMT)."""
    return _as_uk(value, int(second)).astimezone(UTC)


def _real_uk_time(value: datetime | None, info: ValidationInfo) -> datetime | None:
    if value is not None and _checking_input(info) and skipped_hour(value):
        raise ValueError(
            f"There was no {value:%H:%M} on {value:%-d %B %Y}: the clocks went forward an hour "
            "at 1am, so 1am to 2am did not happen. Enter the time in BST, as the clock showed it, "
            f"like {value + timedelta(hours=1):%H:%M}")
    return value


def field_errors(model: str, errors: dict[str, tuple[str, object]]) -> ValidationError:
    """A model validator's errors, each on its own field ({field: (message, input)}), so a form
    shows each beside the field it is about."""
    return ValidationError.from_exception_data(model, [
        InitErrorDetails(type=PydanticCustomError("value_error", "Value error, {m}", {"m": m}),
                         loc=(name,), input=value)
        for name, (m, value) in errors.items()])


_M = TypeVar("_M")


def clock_from_offset(raw: object, names: tuple[str, ...]) -> object:
    """A time sent with a UTC offset in the repeated hour says which of the two it was: kept
    as the time's clock choice (`<name>_clock`), as the time itself is stored as UK wall-clock."""
    if not isinstance(raw, dict):
        return raw
    for name in names:
        value = raw.get(name)
        try:
            when = datetime.fromisoformat(value) if isinstance(value, str) else value
            local = when.astimezone(UK) if isinstance(when, datetime) and when.tzinfo else None
        except (ValueError, OverflowError):
            continue  # refused, as typed, by the field's own validation
        if local and not raw.get(f"{name}_clock") and repeated_hour(local.replace(tzinfo=None)):
            raw = {**raw, f"{name}_clock": "gmt" if local.fold else "bst"}
    return raw


def times_asked(names: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
    """The times whose BST-or-GMT is asked for on input: all of them, or those of a form page
    that edits only some of an item's fields (context "owned": the children page does not ask
    it of a child's time seen, kept from before the question existed, that it does not show)."""
    if not _checking_input(info):
        return ()
    owned = info.context.get("owned") if info.context else None
    return names if owned is None else tuple(name for name in names if name in owned)


def checked_times(model: _M, names: tuple[str, ...], asked: tuple[str, ...],
                  out_of_order: str | None = None) -> _M:
    """`model` with each time's clock choice kept only where the time is in the repeated hour,
    and asked for there if it is one of `asked` (times_asked). Every UK wall-clock time a person
    types goes through here (with `clock_from_offset` before it): the record's header, a
    participant's contribution, when a child was seen and observed. With `out_of_order`, the two
    times (`names`, in order) are compared in UTC."""
    errors: dict[str, tuple[str, object]] = {}
    for name in names:
        value, clock = getattr(model, name), f"{name}_clock"
        if not repeated_hour(value):
            setattr(model, clock, None)
        elif name in asked and getattr(model, clock) is None:
            errors[clock] = (
                f"{value:%H:%M} on {value:%-d %B %Y} happened twice, as the clocks went back "
                "from 2am to 1am: select BST (the first time) or GMT (the second)", None)
    if out_of_order and not errors:
        first, then = (utc_of(model, name) for name in names)
        if first and then and first > then:
            errors[names[1]] = (out_of_order, getattr(model, names[1]))
    if errors:
        raise field_errors(type(model).__name__, errors)
    return model


def utc_of(model: object, name: str) -> datetime | None:
    value = getattr(model, name)
    return None if value is None else wall_clock_in_utc(value, getattr(model, f"{name}_clock") == "gmt")


_PHONE = re.compile(r"^\+?[0-9 ()\-]+( ?(ext|x)\.? ?[0-9]{1,6})?$", re.IGNORECASE)


def _phone(value: str | None) -> str | None:
    if value is None:
        return value
    digits = re.sub(r"\D", "", value.split("x")[0].split("X")[0])
    if not _PHONE.match(value) or not 7 <= len(digits) <= 15:
        raise ValueError("Enter a phone number, like 01632 960 001 or +44 7700 900 982")
    return value


ShortText = Annotated[
    Annotated[str, Field(max_length=SHORT_TEXT_MAX)] | None, BeforeValidator(_blank_to_none)
]
LongText = Annotated[
    Annotated[str, Field(max_length=LONG_TEXT_MAX)] | None, BeforeValidator(_blank_to_none)
]
Phone = Annotated[
    Annotated[str, Field(max_length=40), AfterValidator(_phone)] | None,
    BeforeValidator(_blank_to_none),
]
Email = Annotated[EmailStr | None, BeforeValidator(_blank_to_none)]
PastDate = Annotated[date | None, BeforeValidator(_blank_to_none), AfterValidator(_full_year),
                     AfterValidator(_not_in_future)]
AnyDate = Annotated[date | None, BeforeValidator(_blank_to_none), AfterValidator(_full_year)]
LOCAL_TIME_NOTE = (
    "UK local wall-clock time (Europe/London), read back without a UTC offset; "
    "a time sent with an offset is converted to UK local time."
)
# Not "format: date-time": that needs a UTC offset, and these are read back without one.
LocalDateTime = Annotated[datetime, WithJsonSchema({
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$",
    "examples": ["2026-11-23T14:05:00"],
})]
PastDateTime = Annotated[
    LocalDateTime | None,
    BeforeValidator(_blank_to_none),
    AfterValidator(_to_uk_local),
    AfterValidator(_full_year),
    AfterValidator(_real_uk_time),
    AfterValidator(_not_in_future),
    Field(description=LOCAL_TIME_NOTE),
]


# An organisation in the directory (app/organisations), by its id.
OrganisationId = Annotated[
    Annotated[StrictInt, Field(gt=0, lt=2**31)] | None, BeforeValidator(_blank_to_none)
]
# A social-care member of staff who uses the service, by their user id (app/records/staff.py
# checks it and fills in the name beside it). Who took part is judged by these ids, not by
# names (app/followup/separation.py).
UserId = Annotated[
    Annotated[StrictInt, Field(gt=0, lt=2**31)] | None, BeforeValidator(_blank_to_none)
]
# The id fields above: for the service, never printed (the name beside each is what is read).
USER_ID_FIELDS = ("chair_user_id", "minute_taker_user_id", "user_id")


_T = TypeVar("_T")
# One choice of a list, or none.
ChoiceOf = Annotated[_T | None, BeforeValidator(_blank_to_none)]
# Rows a person or client enters (children, actions...), at most MAX_ROWS.
Rows = Annotated[list[_T], BeforeValidator(_as_list), Field(max_length=MAX_ROWS)]


def child_title(name: str | None, index: int) -> str:
    """How the record names a child: their name, or their place in the record (0-based index)."""
    return name or f"Child {index + 1}"


def _new_key() -> str:
    return uuid4().hex[:12]


def _recipient_ids(value: object) -> list[object]:
    """A form posts the ticked organisations' ids as text, and each ticked named contact as
    "ORGANISATION.CONTACT" (which sends to that organisation too); a client may send bare ids."""
    def one(item: object) -> object:
        if isinstance(item, str) and item.strip().isdigit() and len(item.strip()) < 12:
            return {"organisation_id": int(item.strip())}
        if isinstance(item, int) and not isinstance(item, bool):
            return {"organisation_id": item}
        return item
    items = _as_list(value)
    if not isinstance(items, list):
        raise ValueError("Give a list of organisation ids")
    found: list[object] = []
    contacts: dict[int, list[int]] = {}
    for item in items:
        org, dot, contact = item.strip().partition(".") if isinstance(item, str) else ("", "", "")
        if dot and org.isdigit() and contact.isdigit() and len(item) < 24:
            contacts.setdefault(int(org), []).append(int(contact))
        else:
            found.append(one(item))
    ticked = {row.get("organisation_id") for row in found
              if isinstance(row, dict) and isinstance(row.get("organisation_id"), int)}
    found += [{"organisation_id": org} for org in contacts if org not in ticked]
    if contacts:  # the form's rows: each organisation with the contacts ticked under it
        found = [row | {"contact_ids": contacts.get(row["organisation_id"], [])}
                 if isinstance(row, dict) and len(row) == 1
                 and isinstance(row.get("organisation_id"), int) else row for row in found]
    return found
