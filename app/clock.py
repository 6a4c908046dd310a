"""Time, in one place: the UK zone, UK "now" and "today", and stored times read alike on both
databases.

Stored instants (created_at, sent_at, ...) are written in UTC. PostgreSQL hands them back with
a zone (the session's); SQLite hands them back without one, so a zone-less stored instant is
UTC. A record's own times (the discussion, a typed "now") are UK wall-clock times held without
a zone: those are never passed to `as_utc`.
"""

from datetime import UTC, date, datetime, time
from typing import overload
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def utc_now() -> datetime:
    """This instant, in UTC: what every stored timestamp is written as."""
    return datetime.now(UTC)


def uk_now() -> datetime:
    """Now, as wall-clock time in the UK, to the minute: the record's times are UK local times."""
    return datetime.now(UK).replace(tzinfo=None, second=0, microsecond=0)


def uk_today() -> date:
    """Today's date in the UK (after 23:00 UTC in summer, already tomorrow's)."""
    return datetime.now(UK).date()


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """A stored instant as read from either database, in UTC with its zone."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def uk_local(moment: datetime) -> datetime:
    """A stored instant in UK time, with its zone (and so its offset)."""
    return as_utc(moment).astimezone(UK)


def uk_wall_clock(moment: datetime) -> datetime:
    """A stored instant as UK wall-clock time without a zone, to the second: how a record holds
    its own times, so the two sort together."""
    return uk_local(moment).replace(tzinfo=None, microsecond=0)


def wall_clock(moment: datetime) -> datetime:
    """A record's own time as UK wall-clock without a zone: one given with an offset (by an API
    client) is converted; one without is UK wall-clock already (never a stored instant)."""
    return moment.astimezone(UK).replace(tzinfo=None) if moment.tzinfo is not None else moment


def uk_date(moment: datetime) -> date:
    """The UK calendar day a stored instant fell on."""
    return uk_local(moment).date()


def uk_day_start(day: date) -> datetime:
    """The instant (UTC) a UK calendar day begins, for comparing with stored instants."""
    return datetime.combine(day, time(), UK).astimezone(UTC)
