"""The requests list, a page at a time: keyset paging on the creation time (Next asks for the
rows after the last one shown, Previous for those before the first), as the manager's queues
do, so the hundredth page costs what the first does. Each list reads one index in its order:
waiting requests oldest first (status, created_at), the rest newest first (created_at, id),
a partner's own newest first (created_by_id, created_at, id: migration 0020).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from app.auth.models import User
from app.auth.roles import can_triage
from app.domain.choices import RequestStatus
from app.requests.models import StrategyRequest

PAGE_SIZE = 25
SEPARATOR = "~"
# Which lists a person sees: social care the waiting ones and those triaged; a partner theirs.
TRIAGE_LISTS = ("waiting", "triaged")
PARTNER_LISTS = ("mine",)


@dataclass(frozen=True)
class RequestPage:
    name: str
    items: list[StrategyRequest]
    next_cursor: str | None
    previous_cursor: str | None


def lists_for(user: User) -> tuple[str, ...]:
    return TRIAGE_LISTS if can_triage(user) else PARTNER_LISTS


def cursor_of(req: StrategyRequest) -> str:
    return f"{req.created_at.astimezone(UTC).isoformat()}{SEPARATOR}{req.id}"


def parse_cursor(value: str) -> tuple[datetime, int]:
    """A position in a list; ValueError if it is not one (a time with no zone cannot be
    compared with the stored ones, and a year at the calendar's edge cannot move to UTC)."""
    key, _, request_id = value.partition(SEPARATOR)
    try:
        moment, number = datetime.fromisoformat(key), int(request_id)
        if moment.tzinfo is None or not 0 < number < 2**31:
            raise ValueError
        return moment.astimezone(UTC), number
    except (ValueError, OverflowError):
        raise ValueError("Not a position in this list") from None


def _oldest_first(name: str) -> bool:
    return name == "waiting"


def _condition(name: str, user: User):
    status = col(StrategyRequest.status)
    return {
        "waiting": status == RequestStatus.AWAITING.value,
        "triaged": status != RequestStatus.AWAITING.value,
        "mine": col(StrategyRequest.created_by_id) == user.id,
    }[name]


def page(session: Session, user: User, name: str, *, after: str | None = None,
         before: str | None = None, page_size: int | None = None) -> RequestPage:
    """One page of the list `name` (one of `lists_for(user)`). Raises ValueError for a cursor
    that is not a position in it."""
    if name not in lists_for(user):
        raise ValueError("Not a list this person sees")
    page_size = page_size or PAGE_SIZE
    key = tuple_(col(StrategyRequest.created_at), col(StrategyRequest.id))
    # Walking the list's own order forwards, or backwards from `before`.
    ascending = _oldest_first(name) == (before is None)
    statement = select(StrategyRequest).where(_condition(name, user))
    if after or before:
        moment, request_id = parse_cursor(after or before)
        position = tuple_(moment, request_id)
        statement = statement.where(key > position if ascending else key < position)
    order = ((col(StrategyRequest.created_at).asc(), col(StrategyRequest.id).asc()) if ascending
             else (col(StrategyRequest.created_at).desc(), col(StrategyRequest.id).desc()))
    rows = list(session.exec(statement.order_by(*order).limit(page_size + 1)))
    more, rows = len(rows) > page_size, rows[:page_size]
    if before is not None:
        rows.reverse()
    has_next, has_previous = (more, after is not None) if before is None else (True, more)
    return RequestPage(
        name, rows,
        next_cursor=cursor_of(rows[-1]) if has_next and rows else None,
        previous_cursor=cursor_of(rows[0]) if has_previous and rows else None)


def first_pages(session: Session, user: User, name: str | None = None, after: str | None = None,
                before: str | None = None) -> dict[str, RequestPage]:
    """Each list this person sees at its first page, except `name` at the position asked."""
    return {each: page(session, user, each, after=after, before=before) if each == name
            else page(session, user, each) for each in lists_for(user)}

