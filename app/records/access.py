"""Loading a record for a person: the one place access to records is decided and logged.

A record the person may not see answers 404, exactly like one that does not exist, so ids
cannot be probed; a record they may see but not change answers 403.
"""

from collections.abc import Iterator
from dataclasses import replace

from fastapi import HTTPException, Request
from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlmodel import Session

from app.auth import audit
from app.auth.models import User
from app.auth.roles import RECORDERS, Role, can_authorise, can_record, can_record_follow_up
from app.db import get_engine
from app.domain.choices import LedBy, RecordStatus
from app.records import service
from app.records.listing import (
    PAGE_SIZE,
    ListedRecord,
    ListQuery,
    Page,
    count_listed,
    list_page,
)
from app.records.models import RecordDistribution, StrategyRecord


def can_view(user: User, record: StrategyRecord) -> bool:
    if user.role in RECORDERS:
        # Social-care staff see their team's records; EDT-led records are everyone's in
        # social care, because the day team must pick them up by the next working day.
        same_team = user.team is not None and record.team == user.team
        return same_team or record.led_by == LedBy.EDT
    if user.role == Role.PARTNER:
        # A record being amended is a draft again, but the version sent before it still
        # stands: partners keep seeing that one (app/followup/versions.shown_version).
        was_sent = record.status != RecordStatus.DRAFT or record.latest_final_version is not None
        return (
            was_sent
            and user.agency is not None
            and user.agency in record.distribution
        )
    return False


def can_edit(user: User, record: StrategyRecord) -> bool:
    return can_record(user) and can_view(user, record)


def _refuse(session, user, record_id, request, status, why) -> HTTPException:
    known_id = record_id if 0 < record_id <= service.MAX_ID else None
    audit.log(session, "refused", user=user, record_id=known_id,
              detail=f"{request.method} {request.url.path}: {why}", request=request)
    if status == 404:
        return HTTPException(404, "Strategy record not found")
    return HTTPException(403, "You can read this record but not change it")


def viewable(session: Session, user: User, record_id: int, request: Request) -> StrategyRecord:
    record = service.get_record(session, record_id)
    if record is None or not can_view(user, record):
        raise _refuse(session, user, record_id, request, 404, "may not see it")
    return record


def for_change(session: Session, user: User, record_id: int, request: Request) -> StrategyRecord:
    """The record, for someone who may change records like it (social care, their team's or
    EDT-led): refused otherwise. Whether its status allows the change (a draft can be edited, a
    finalised record authorised or amended) is the service's decision, not this one's."""
    record = viewable(session, user, record_id, request)
    if not can_edit(user, record):
        raise _refuse(session, user, record_id, request, 403, "may not change it")
    return record


def require_recorder(session: Session, user: User, request: Request) -> None:
    if not can_record(user):
        audit.log(session, "refused", user=user, detail=f"{request.method} {request.url.path}",
                  request=request)
        raise HTTPException(403, "Only social-care staff can start strategy records")


def visible_filter(user: User) -> ColumnElement[bool]:
    """`can_view` as a WHERE clause, for lists: the same meaning, kept beside it (a test
    checks the two agree record by record)."""
    if user.role in RECORDERS:
        edt_led = StrategyRecord.led_by == LedBy.EDT.value
        if user.team is None:
            return edt_led
        return or_(StrategyRecord.team == user.team, edt_led)
    if user.role == Role.PARTNER and user.agency is not None:
        sent_to_them = exists(select(RecordDistribution.record_id).where(
            RecordDistribution.record_id == StrategyRecord.id,
            RecordDistribution.agency == user.agency,
        ))
        was_sent = or_(StrategyRecord.status != RecordStatus.DRAFT.value,
                       StrategyRecord.latest_final_version.is_not(None))
        return and_(was_sent, sent_to_them)
    return false()


def visible_records(session: Session, user: User, query: ListQuery | None = None, *,
                    restrict: ColumnElement[bool] | None = None,
                    page_size: int = PAGE_SIZE) -> Page:
    """A page of the list as this person may see it. `restrict` (a WHERE condition) limits
    it further, e.g. to the records behind a report's figure; it never shows more."""
    page = list_page(session, visible_filter(user), query or ListQuery(), page_size,
                     restrict=restrict)
    if user.role == Role.PARTNER:
        page = replace(page, items=[_as_sent(item) for item in page.items])
    return page


def count_visible(session: Session, user: User, query: ListQuery, *,
                  restrict: ColumnElement[bool] | None = None) -> int:
    """How many records `visible_records` holds over all its pages."""
    return count_listed(session, visible_filter(user), query, restrict=restrict)


def all_visible(user: User, query: ListQuery, *, restrict: ColumnElement[bool] | None = None,
                batch_size: int = 1000) -> Iterator[ListedRecord]:
    """Every record of the list (all its pages, from the first), read in keyset batches, each
    in a short session of its own: an export of 100,000 rows never holds them all in memory,
    nor a database connection while the client reads."""
    query = query.model_copy(update={"after": None, "before": None})
    while True:
        with Session(get_engine()) as session:
            page = visible_records(session, user, query, restrict=restrict, page_size=batch_size)
        yield from page.items
        if not page.has_next:
            return
        query = query.model_copy(update={"after": page.next_cursor})


def _as_sent(item: ListedRecord) -> ListedRecord:
    """A partner's row: a record being amended is a draft again, and nothing of the draft may
    show; the version sent to them is on the record's page. (The read-model columns hold the
    draft's values.) Social care's own follow-up (the day-team review, telling the referrer)
    is not theirs to see either."""
    item = replace(item, review_due=None, reviewed_at=None, referrer_feedback_due=False)
    if item.status != RecordStatus.DRAFT.value:
        return item
    return replace(item, status=RecordStatus.AMENDED.value, discussion_at=None, outcome=None,
                   children_names=[], blocking_failures=0, warnings=0, next_due=None,
                   returned_at=None, finalised_at=None)


# --- after the meeting (app/followup) ---------------------------------------------------------


def authorisable(session: Session, user: User, record_id: int, request: Request) -> StrategyRecord:
    """A record this manager may authorise or return (403 for anyone else who may see it)."""
    record = viewable(session, user, record_id, request)
    if not can_authorise(user):
        raise _refuse(session, user, record_id, request, 403, "may not authorise or return")
    return record


def follow_up_recordable(session: Session, user: User, record_id: int,
                         request: Request) -> StrategyRecord:
    """A record this person may record follow-up on, or amend: social-care staff only."""
    record = viewable(session, user, record_id, request)
    if not can_record_follow_up(user):
        raise _refuse(session, user, record_id, request, 403, "may not record follow-up")
    return record
