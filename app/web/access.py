"""Loading a record for a person: every route asks here, and here asks the one visibility
rule (app/visibility.py). Refusals are logged.

A record the person may not see answers 404, exactly like one that does not exist, so ids
cannot be probed; a record they may see but not change answers 403.
"""

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

from fastapi import HTTPException, Request
from sqlalchemy import ColumnElement, select
from sqlmodel import Session

from app import visibility
from app.auth import audit
from app.auth.models import User
from app.auth.roles import can_authorise, can_record, can_record_follow_up
from app.db import get_engine
from app.domain.choices import RecordStatus
from app.followup.models import RecordVersion
from app.followup.versions import snapshot, status_of, version_record
from app.records import service
from app.records.list_query import ListQuery
from app.records.listing import (
    PAGE_SIZE,
    Among,
    ListedRecord,
    Page,
    count_listed,
    list_page,
)
from app.records.models import StrategyRecord
from app.sending import service as sending

# The list's, reports' and exports' filter: the visibility rule as a WHERE clause.
visible_filter = visibility.record_filter

NOT_FOUND = "Strategy record not found"
NO_VERSION = "No such version of this record"


def refuse(session, user, request, status: int, why: str, message: str,
           record_id: int | None = None) -> HTTPException:
    """Log a refusal (once, with who, the route and why) and the error to raise for it."""
    known_id = record_id if record_id is not None and 0 < record_id <= service.MAX_ID else None
    audit.refused(session, user, request, why, record_id=known_id)
    return HTTPException(status, message)


def _loaded(session: Session, user: User, record_id: int, request: Request, *,
            checked: bool = True) -> tuple[StrategyRecord, visibility.Sight]:
    # Visibility first: its one statement reads the record as well.
    seen = visibility.sight(session, user, record_id) if 0 < record_id <= service.MAX_ID else None
    if seen is None or seen.record is None:
        raise refuse(session, user, request, 404, "may not see it", NOT_FOUND, record_id)
    record = service.check(session, seen.record) if checked else seen.record
    if request.method in ("GET", "HEAD"):
        # A read changes no version or receipt: the page asks again (may_change, the
        # versions it lists) from this answer, not from the database (sight_of).
        request.state.sight = (user.id, record_id, seen)
    return record, seen


def sight_of(session: Session, user: User, record_id: int,
             request: Request | None = None) -> visibility.Sight | None:
    """What `user` may see of the record: the answer this read request already had, else
    asked of the database. (Only a GET keeps one: anything that changes a record asks again.)"""
    known = getattr(request.state, "sight", None) if request is not None else None
    if known is not None and known[:2] == (user.id, record_id):
        return known[2]
    return visibility.sight(session, user, record_id)


def _version(session: Session, record: StrategyRecord, version: int) -> StrategyRecord | None:
    if version == record.version and record.status != RecordStatus.DRAFT:
        return record
    row = snapshot(session, record.id, version) if 0 < version < 2**31 else None
    return version_record(record, row) if row else None


def readable(session: Session, user: User, record_id: int, request: Request,
             version: int | None = None, *, checked: bool = True) -> StrategyRecord:
    """The record as this person reads it: `version` if given (finalised, and theirs to
    read), else the one that is "the record" to them: social care's working copy, or the
    newest version a partner's organisation was sent. 404 for anything else.
    `checked=False` leaves the stored document unvalidated (a stored PDF is served without
    reading it): the caller checks it (`service.get_record`) before reading its content."""
    record, seen = _loaded(session, user, record_id, request, checked=checked)
    if version is None and seen.shown is None:
        return record
    wanted = seen.shown if version is None else version
    found = _version(session, record, wanted) if seen.may_read(wanted) else None
    if found is None:
        raise refuse(session, user, request, 404, f"may not read version {wanted}",
                     NO_VERSION if version is not None else NOT_FOUND, record_id)
    return found


def link_readable(session: Session, reader: visibility.LinkReader, record_id: int,
                  version: int, request: Request) -> StrategyRecord:
    """A version as someone reading by personal link reads it: one sent to their address at
    their organisation by a link in force, and still theirs (the partner's rule,
    app/visibility.py). 404 for anything else, logged with their name."""
    record = service.get_record(session, record_id) if 0 < record_id <= service.MAX_ID else None
    seen = visibility.sight(session, reader, record_id) if record is not None else None
    found = _version(session, record, version) if seen and seen.may_read(version) else None
    if found is None:
        request.state.refusal_logged = True
        audit.log(session, "refused", username=f"{reader.name} (personal link)",
                  record_id=record_id if record is not None else None, request=request,
                  detail=f"{request.method} {request.url.path}: may not read version {version}")
        raise HTTPException(404, NOT_FOUND)
    return found


def note_opened(session: Session, user: User, record: StrategyRecord, request: Request) -> None:
    """A partner's first opening of the version, for its receipt (app/sending/service.py);
    nothing to write, and no statement, when this read's sight says it was opened before."""
    seen = sight_of(session, user, record.id, request)
    if seen is None or record.version not in seen.opened:
        sending.mark_opened(session, user, record.id, record.version, request)


def note_downloaded(session: Session, user: User, record: StrategyRecord,
                    request: Request) -> None:
    """A partner's first download (and opening) of the version, as `note_opened`."""
    seen = sight_of(session, user, record.id, request)
    if seen is None or record.version not in seen.opened & seen.downloaded:
        sending.mark_downloaded(session, user, record.id, record.version, request,
                                opened_before=seen is not None and record.version in seen.opened)


def viewable(session: Session, user: User, record_id: int, request: Request) -> StrategyRecord:
    return readable(session, user, record_id, request)


def may_change(session: Session, user: User, record: StrategyRecord,
               request: Request | None = None) -> bool:
    seen = sight_of(session, user, record.id, request)
    return seen is not None and seen.may_change


def for_change(session: Session, user: User, record_id: int, request: Request) -> StrategyRecord:
    """The record, for someone who may change records like it (social care, their team's or
    EDT-led): refused otherwise. Whether its status allows the change (a draft can be edited, a
    finalised record authorised or amended) is the service's decision, not this one's."""
    record, seen = _loaded(session, user, record_id, request)
    if not seen.may_change:
        raise refuse(session, user, request, 403, "may not change it",
                     "You can read this record but not change it", record_id)
    return record


def authorisable(session: Session, user: User, record_id: int, request: Request) -> StrategyRecord:
    """A record this manager may authorise or return (403 for anyone else who may see it)."""
    record, _ = _loaded(session, user, record_id, request)
    if not can_authorise(user):
        raise refuse(session, user, request, 403, "may not authorise or return",
                     "You can read this record but not change it", record_id)
    return record


def follow_up_recordable(session: Session, user: User, record_id: int,
                         request: Request) -> StrategyRecord:
    """A record this person may record follow-up on, or amend: social-care staff only."""
    record, _ = _loaded(session, user, record_id, request)
    if not can_record_follow_up(user):
        raise refuse(session, user, request, 403, "may not record follow-up",
                     "You can read this record but not change it", record_id)
    return record


def receipts_readable(session: Session, user: User, record_id: int,
                      request: Request) -> StrategyRecord:
    """A record whose receipts this person may read: social care only (403 for anyone else who
    may see it), as partners see nothing about other organisations' receipts."""
    record, _ = _loaded(session, user, record_id, request)
    if not can_record(user):
        raise refuse(session, user, request, 403, "only social-care staff",
                     "Only social-care staff see receipts", record_id)
    return record


# --- lists -------------------------------------------------------------------------------------


def visible_records(session: Session, user: User, query: ListQuery | None = None, *,
                    restrict: ColumnElement[bool] | None = None,
                    among: Among | None = None, page_size: int = PAGE_SIZE) -> Page:
    """A page of the list as this person may see it. `restrict` (a WHERE condition) or
    `among` (some records, e.g. those behind a report's figure) limits it further; it never
    shows more."""
    query = query or ListQuery()
    page = list_page(session, visibility.list_filter(user, query.filtered), query, page_size,
                     restrict=restrict, among=among)
    if visibility.is_partner(user):
        page = replace(page, items=_as_received(session, user, page.items))
    return page


def count_visible(session: Session, user: User, query: ListQuery, *,
                  restrict: ColumnElement[bool] | None = None) -> int:
    """How many records `visible_records` holds over all its pages."""
    return count_listed(session, visibility.list_filter(user, query.filtered), query,
                        restrict=restrict)


# Rows an export reads at a time: memory holds one batch, whatever the export's length.
EXPORT_BATCH = 1000


def all_visible(user: User, query: ListQuery, *, restrict: ColumnElement[bool] | None = None,
                batch_size: int | None = None) -> Iterator[ListedRecord]:
    """Every record of the list (all its pages, from the first), read in keyset batches, each
    in a short session of its own: an export of 100,000 rows never holds them all in memory,
    nor a database connection while the client reads."""
    query = query.model_copy(update={"after": None, "before": None})
    batch_size = batch_size or EXPORT_BATCH
    while True:
        with Session(get_engine()) as session:
            page = visible_records(session, user, query, restrict=restrict, page_size=batch_size)
        yield from page.items
        if not page.has_next:
            return
        query = query.model_copy(update={"after": page.next_cursor})


def _as_received(session: Session, user: User, items: list[ListedRecord]) -> list[ListedRecord]:
    """A partner's rows show the version their organisation was sent, never what social care
    has since drafted or sent only to others: where the record has moved on (an amendment
    being drafted, a later version not sent to them), the row's facts come from their
    version. Social care's own follow-up (the day-team review, telling the referrer) is not
    theirs to see either."""
    shown = visibility.shown_versions(session, user, [item.id for item in items])
    moved_on = {item.id: shown[item.id] for item in items
                if item.status == RecordStatus.DRAFT.value or item.version != shown[item.id]}
    theirs = {}
    if moved_on:
        rows = session.execute(select(RecordVersion).where(
            RecordVersion.record_id.in_(moved_on))).scalars()
        theirs = {row.record_id: row for row in rows if row.version == moved_on[row.record_id]}
    received = []
    for item in items:
        item = replace(item, review_due=None, reviewed_at=None, referrer_feedback_due=False,
                       blocking_failures=0, warnings=0, returned_at=None)
        row = theirs.get(item.id)
        if row is not None:
            data = row.data if isinstance(row.data, dict) else {}
            header, decision = data.get("header") or {}, data.get("decision") or {}
            item = replace(
                item, status=status_of(row).value, version=row.version,
                discussion_at=_stored_time(header.get("discussion_at")),
                outcome=decision.get("outcome"),
                children_names=[c.get("name") for c in data.get("children") or []
                                if isinstance(c, dict) and c.get("name")],
                next_due=None, finalised_at=row.finalised_at)
        received.append(item)
    return received


def _stored_time(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
