"""Loading a record for a person: the one place access to records is decided and logged.

A record the person may not see answers 404, exactly like one that does not exist, so ids
cannot be probed; a record they may see but not change answers 403.
"""

from fastapi import HTTPException, Request
from sqlmodel import Session

from app.auth import audit
from app.auth.models import User
from app.auth.roles import can_edit, can_record, can_view
from app.records import service
from app.records.models import StrategyRecord


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


def editable(session: Session, user: User, record_id: int, request: Request) -> StrategyRecord:
    record = viewable(session, user, record_id, request)
    if not can_edit(user, record):
        raise _refuse(session, user, record_id, request, 403, "may not change it")
    return record


def require_recorder(session: Session, user: User, request: Request) -> None:
    if not can_record(user):
        audit.log(session, "refused", user=user, detail=f"{request.method} {request.url.path}",
                  request=request)
        raise HTTPException(403, "Only social-care staff can start strategy records")


def visible_records(session: Session, user: User) -> list[StrategyRecord]:
    return [record for record in service.list_records(session) if can_view(user, record)]
