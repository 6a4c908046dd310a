"""Every change after a record is finalised goes through here: authorise, return, amend, and
each kind of follow-up entry (app/followup/entries.py, with the shared steps below). Each
checks the workflow and the revision the change was based on, changes the rows in one
transaction and writes a timeline entry.

Refusals are exceptions the pages show as a GOV.UK error summary and the API answers with:
`Refused` (the workflow does not allow it: 409), `Invalid` (what was sent is incomplete or
malformed: 422, per field) and the records service's `StaleRecord` (409).
"""

from datetime import date

from sqlalchemy import update
from sqlmodel import Session, select

from app.auth.models import User
from app.clock import uk_today, utc_now
from app.config import get_settings
from app.domain.choices import RecordStatus, ReturnReason
from app.domain.fields import LONG_TEXT_MAX
from app.followup import projection, versions
from app.followup.models import FollowUpEntry, RecordVersion
from app.followup.separation import took_part
from app.records.models import StrategyRecord
from app.records.service import StaleRecord
from app.rules.dates import followup_date
from app.sending import service as sending

__all__ = ["Invalid", "Refused", "StaleRecord"]

# The timeline's entries, each also an audit action.
KINDS = {
    "finalised": "Finalised",
    "authorised": "Authorised",
    "returned": "Returned to the author",
    "amended": "Amendment started",
    "action_done": "Action done",
    "action_cancelled": "Action cancelled",
    "action_redated": "Action given a new date",
    "referrer_told": "Referrer told the outcome",
    "edt_review": "Day-team review of the EDT discussion",
    "discussion_cancelled": "Further strategy discussion cancelled",
    "s47_course": "Section 47 enquiry's course recorded",
}


class Refused(Exception):
    """The workflow does not allow this change now; `reason` says why, in plain words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Invalid(Exception):
    """What was sent is missing or malformed: {field: message}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# --- shared steps ----------------------------------------------------------------------------


def _text(errors: dict, values: dict, name: str, message: str, *, required=True,
          limit=LONG_TEXT_MAX) -> str | None:
    raw = values.get(name)
    value = raw.strip() if isinstance(raw, str) else ""  # a field posted twice is a list
    if not value:
        if required:
            errors[name] = message
        return None
    if len(value) > limit:
        errors[name] = f"Use at most {limit} characters"
    return value


def _past_date(errors: dict, values: dict, name: str, message: str, record: StrategyRecord,
               label: str) -> date | None:
    """The date typed (app/rules/dates.py judges it: typed in full, not in the future, not
    before the discussion)."""
    try:
        return followup_date(values.get(name), record.content, uk_today(), missing=message,
                             label=label)
    except ValueError as problem:
        errors[name] = str(problem)
        return None


def _require_final(record: StrategyRecord, what: str) -> None:
    if not record.is_final:
        raise Refused(f"Only a finalised or authorised record can have {what}: this record is "
                      f"a {RecordStatus(record.status).label.lower()}")


def _change(session: Session, record: StrategyRecord, expected_revision: int, **values) -> None:
    """Bump the record's revision (every write is based on one) with `values`; the revision
    in the WHERE clause also refuses a change that raced this one."""
    if expected_revision != record.revision:
        raise StaleRecord(record.reference)
    result = session.execute(
        update(StrategyRecord)
        .where(StrategyRecord.id == record.id, StrategyRecord.revision == expected_revision)
        .values(revision=expected_revision + 1, updated_at=utc_now(), **values))
    if result.rowcount != 1:
        session.rollback()
        raise StaleRecord(record.reference)


def _entry(session, record, user, kind, *, version=None, position=None, **details) -> None:
    session.add(FollowUpEntry(
        record_id=record.id, version=version or record.version, kind=kind,
        at=utc_now(), by_id=user.id, by_name=user.display_name,
        action_position=position,
        details={k: (v.isoformat() if isinstance(v, date) else v) for k, v in details.items()
                 if v is not None}))


def _commit(session: Session, record: StrategyRecord) -> StrategyRecord:
    """Everything derived follows from the fact just written (the projection), then commit."""
    projection.project(session, record.id)
    session.commit()
    session.refresh(record)
    return record


def _discussion_cancelled(session: Session, record: StrategyRecord) -> bool:
    return session.exec(select(FollowUpEntry.id).where(
        FollowUpEntry.record_id == record.id, FollowUpEntry.version <= record.version,
        FollowUpEntry.kind == "discussion_cancelled")).first() is not None


# --- manager review --------------------------------------------------------------------------


def authorise(session: Session, record: StrategyRecord, user: User, expected_revision: int
              ) -> StrategyRecord:
    if record.status == RecordStatus.AUTHORISED:
        raise Refused("This record is already authorised")
    if record.status != RecordStatus.FINALISED:
        raise Refused("Only a finalised record can be authorised: this one is a draft. "
                      "Its author finalises it first")
    if not get_settings().authoriser_may_have_taken_part:
        how = took_part(session, user, record)
        if how:
            raise Refused(f"You {how}, so another manager must authorise it")
    now = utc_now()
    _change(session, record, expected_revision, status=RecordStatus.AUTHORISED.value,
            authorised_at=now, authorised_by_id=user.id)
    session.execute(update(RecordVersion).where(
        RecordVersion.record_id == record.id, RecordVersion.version == record.version,
    ).values(authorised_at=now, authorised_by_id=user.id, authorised_by_name=user.display_name))
    _entry(session, record, user, "authorised")
    sending.on_authorised(session, record, now, user)  # with SEND_ON=authorise: the outbox
    return _commit(session, record)


def _reasons(errors: dict, chosen) -> list[str]:
    """The return reasons chosen (one or more of ReturnReason), in the list's order."""
    chosen = [chosen] if isinstance(chosen, str) else list(chosen or [])
    if not chosen:
        errors["reasons"] = "Select at least one reason for returning the record"
        return []
    if any(value not in ReturnReason._value2member_map_ for value in chosen):
        errors["reasons"] = "Select reasons from the list"
        return []
    return [reason.value for reason in ReturnReason if reason.value in chosen]


def return_record(session: Session, record: StrategyRecord, user: User, expected_revision: int,
                  comments: str | None, reasons=()) -> StrategyRecord:
    """Back to its author with the manager's reasons (one or more ReturnReason values: the
    live audit counts these) and comments (for the author and social care only).

    A finalised version never changes: returning it starts a correction, the next version,
    as a draft carrying what happened after the meeting. The returned version stays in force
    (and readable to any organisation it was sent to) until the correction is finalised;
    they are then told of the correction."""
    errors: dict[str, str] = {}
    chosen = _reasons(errors, reasons)
    comments = _text(errors, {"comments": comments}, "comments",
                     "Enter your comments for the author: what needs to change")
    if record.status == RecordStatus.AUTHORISED:
        raise Refused("This record is authorised and cannot be returned: amend it instead")
    if record.status != RecordStatus.FINALISED:
        raise Refused("Only a finalised record awaiting authorisation can be returned: this "
                      "one is a draft")
    if errors:
        raise Invalid(errors)
    return _next_version(session, record, user, expected_revision, "returned",
                         reasons=chosen, comments=comments)


def _next_version(session, record, user, expected_revision, kind, **details) -> StrategyRecord:
    """A new draft version (a correction or an amendment) starting from the current one with
    what happened after the meeting laid over it."""
    data = versions.effective_data(session, record)
    # Read before _change: its UPDATE also moves the loaded record on to the new version.
    next_version = record.version + 1
    _change(session, record, expected_revision, status=RecordStatus.DRAFT.value,
            version=next_version, data=data.model_dump(mode="json"))
    _entry(session, record, user, kind, version=next_version, **details)
    return _commit(session, record)


# --- amendments ------------------------------------------------------------------------------


def amend(session: Session, record: StrategyRecord, user: User, expected_revision: int,
          reason: str | None) -> StrategyRecord:
    """A new draft version, starting from the current one with its follow-up laid over it.
    The finalised version stays as it was (and in force) until the amendment is finalised."""
    errors: dict[str, str] = {}
    reason = _text(errors, {"reason": reason}, "reason",
                   "Enter the reason for the amendment: what was wrong or missing")
    _require_final(record, "an amendment")
    if errors:
        raise Invalid(errors)
    return _next_version(session, record, user, expected_revision, "amended", reason=reason,
                         amends=record.version)
