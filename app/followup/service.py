"""Every change after a record is finalised goes through here: authorise, return, amend, and
each kind of follow-up entry. Each checks the workflow and the revision the change was based
on, changes the rows in one transaction and writes a timeline entry.

Refusals are exceptions the pages show as a GOV.UK error summary and the API answers with:
`Refused` (the workflow does not allow it: 409), `Invalid` (what was sent is incomplete or
malformed: 422, per field) and the records service's `StaleRecord` (409).
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import delete, update
from sqlmodel import Session, select

from app.auth.models import User
from app.config import get_settings
from app.domain.choices import ActionKind, Agency, LedBy, Outcome, RecordStatus, ReturnReason
from app.domain.schema import LONG_TEXT_MAX, SHORT_TEXT_MAX, StrategyRecordData, uk_now
from app.followup import versions
from app.followup.models import FollowUpEntry, RecordVersion, TrackedAction
from app.pdf.models import RenderedPdf
from app.records.models import StrategyRecord
from app.records.service import StaleRecord, derived_columns, next_due
from app.reports import store as report_rows
from app.reports.store import store_measures
from app.rules.core import discussion_day
from app.rules.dates import followup_date
from app.rules.due_dates import cancellation_update_due
from app.sending import service as sending
from app.sending.models import RecordReceipt

__all__ = ["Invalid", "Refused", "StaleRecord"]

# The timeline's entries, each also an audit action.
KINDS = {
    "finalised": "Finalised",
    "authorised": "Authorised",
    "returned": "Returned to the author",
    "amended": "Amendment started",
    "action_done": "Action done",
    "action_cancelled": "Action cancelled",
    "referrer_told": "Referrer told the outcome",
    "edt_review": "Day-team review of the EDT discussion",
    "discussion_cancelled": "Further strategy discussion cancelled",
}
FINAL = (RecordStatus.FINALISED, RecordStatus.AUTHORISED)
CANCELLATION_TEXT = ("CSC will update all agencies involved of the cancellation and its "
                     "reasons by")


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
        return followup_date(values.get(name), record.content, uk_now().date(), missing=message,
                             label=label)
    except ValueError as problem:
        errors[name] = str(problem)
        return None


def _require_final(record: StrategyRecord, what: str) -> None:
    if record.status not in FINAL:
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
        .values(revision=expected_revision + 1, updated_at=datetime.now(UTC), **values))
    if result.rowcount != 1:
        session.rollback()
        raise StaleRecord(record.reference)


def _entry(session, record, user, kind, *, version=None, position=None, **details) -> None:
    session.add(FollowUpEntry(
        record_id=record.id, version=version or record.version, kind=kind,
        at=datetime.now(UTC), by_id=user.id, by_name=user.display_name,
        action_position=position,
        details={k: (v.isoformat() if isinstance(v, date) else v) for k, v in details.items()
                 if v is not None}))


def _commit(session: Session, record: StrategyRecord) -> StrategyRecord:
    session.commit()
    session.refresh(record)
    return record


def refresh_read_model(session: Session, record: StrategyRecord) -> None:
    """Re-derive the warnings count and the next due date from the follow-up laid over the
    current version (a done action is no longer due; a told referrer clears the warning)."""
    session.flush()
    data = versions.effective_data(session, record)
    columns = derived_columns(record.reference, data, record.created_at, get_settings())
    cancelled = _discussion_cancelled(session, record)
    due_data = data.model_copy(update={
        "header": data.header.model_copy(update={
            "day_team_review_due": None if record.reviewed_at else data.header.day_team_review_due}),
        "next_steps": data.next_steps.model_copy(update={
            "next_discussion_on": None if cancelled else data.next_steps.next_discussion_on}),
    })
    session.execute(update(StrategyRecord).where(StrategyRecord.id == record.id).values(
        warnings=columns["warnings"], next_due=next_due(due_data)))


def _discussion_cancelled(session: Session, record: StrategyRecord) -> bool:
    return session.exec(select(FollowUpEntry.id).where(
        FollowUpEntry.record_id == record.id, FollowUpEntry.version == record.version,
        FollowUpEntry.kind == "discussion_cancelled")).first() is not None


# --- manager review --------------------------------------------------------------------------


def took_part(user: User, record: StrategyRecord) -> str | None:
    """How `user` took part in the record (chaired, minuted, started or finalised it), if they did."""
    # The chair and minute-taker are free text ("Priya Shah, Team Manager"): their name as
    # whole words anywhere in it counts.
    name = re.compile(rf"(?<!\w){re.escape(user.display_name.strip())}(?!\w)", re.IGNORECASE)
    header = record.content.header
    if header.chair and name.search(header.chair):
        return "chaired the discussion"
    if header.minute_taker and name.search(header.minute_taker):
        return "took the minutes"
    if record.created_by_id == user.id:
        return "started the record"
    current = versions.snapshot(_session_of(record), record.id, record.version)
    if current is not None and current.finalised_by_id == user.id:
        return "finalised the record"
    return None


def _session_of(record: StrategyRecord) -> Session:
    return Session.object_session(record)


def authorise(session: Session, record: StrategyRecord, user: User, expected_revision: int
              ) -> StrategyRecord:
    if record.status == RecordStatus.AUTHORISED:
        raise Refused("This record is already authorised")
    if record.status != RecordStatus.FINALISED:
        raise Refused("Only a finalised record can be authorised: this one is a draft. "
                      "Its author finalises it first")
    if not get_settings().authoriser_may_have_taken_part:
        how = took_part(user, record)
        if how:
            raise Refused(f"You {how}, so another manager must authorise it")
    now = datetime.now(UTC)
    _change(session, record, expected_revision, status=RecordStatus.AUTHORISED.value,
            authorised_at=now, authorised_by_id=user.id)
    session.execute(update(RecordVersion).where(
        RecordVersion.record_id == record.id, RecordVersion.version == record.version,
    ).values(authorised_at=now, authorised_by_id=user.id, authorised_by_name=user.display_name))
    _entry(session, record, user, "authorised")
    report_rows.happened(session, record.id, authorised=True)
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
    """Back to draft as a new revision of the same version, with the manager's reasons (one
    or more ReturnReason values: the live audit counts these) and comments (for the author
    and social care only: never in a report).

    The returned version was never authorised: its snapshot, tracked actions and stored PDFs
    go (it will be finalised again, as the same version number), its timeline stays, and any
    follow-up already recorded is carried into the draft."""
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
    data = versions.effective_data(session, record)
    if _was_sent(session, record):
        return _return_as_correction(session, record, user, expected_revision, data, chosen,
                                     comments)
    earlier = record.version - 1 if record.version > 1 else None
    _change(session, record, expected_revision, status=RecordStatus.DRAFT.value,
            data=data.model_dump(mode="json"), returned_at=datetime.now(UTC), finalised_at=None,
            latest_final_version=earlier, review_due=None, reviewed_at=None, reviewed_on=None,
            referrer_feedback_due=False, referrer_told_on=None)
    for table in (TrackedAction, RenderedPdf, RecordVersion):
        session.execute(delete(table).where(table.record_id == record.id,
                                            table.version == record.version))
    if earlier:  # the version before is the one in force again
        session.execute(update(RecordVersion).where(
            RecordVersion.record_id == record.id, RecordVersion.version == earlier,
        ).values(superseded_by=None, superseded_at=None))
    in_force = versions.snapshot(session, record.id, earlier) if earlier else None
    store_measures(session, record.id, earlier, record.team,
                   StrategyRecordData.model_validate(in_force.data, context={"stored": True})
                   if in_force else None)
    _entry(session, record, user, "returned", reasons=chosen, comments=comments)
    return _commit(session, record)


def _was_sent(session: Session, record: StrategyRecord) -> bool:
    return session.execute(select(RecordReceipt.id).where(
        RecordReceipt.record_id == record.id, RecordReceipt.version == record.version)
        .limit(1)).first() is not None


def _return_as_correction(session, record, user, expected_revision, data, chosen, comments):
    """A version already sent never changes under its readers: returning it starts a
    correction, the next version, and the sent one stays in force (and readable to those it
    was sent to) until the correction is finalised; they are then told of it."""
    correction = record.version + 1
    _change(session, record, expected_revision, status=RecordStatus.DRAFT.value,
            version=correction, data=data.model_dump(mode="json"), finalised_at=None,
            returned_at=datetime.now(UTC))
    _entry(session, record, user, "returned", version=correction, reasons=chosen,
           comments=comments)
    report_rows.happened(session, record.id, returned=True)  # the live audit counts it
    record = _commit(session, record)
    columns = derived_columns(record.reference, data, record.created_at, get_settings())
    columns.pop("distribution")
    session.execute(update(StrategyRecord).where(StrategyRecord.id == record.id).values(**columns))
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
    data = versions.effective_data(session, record)
    # Taken before the change: the ORM update sets `record.version` to the new one in place.
    amended = record.version
    _change(session, record, expected_revision, status=RecordStatus.DRAFT.value,
            version=amended + 1, data=data.model_dump(mode="json"), finalised_at=None,
            authorised_at=None, authorised_by_id=None, returned_at=None)
    _entry(session, record, user, "amended", version=amended + 1, reason=reason,
           amends=amended)
    record = _commit(session, record)
    # A draft's read model: blocking problems and warnings as the rules judge it now.
    columns = derived_columns(record.reference, data, record.created_at, get_settings())
    columns.pop("distribution")
    session.execute(update(StrategyRecord).where(StrategyRecord.id == record.id).values(**columns))
    return _commit(session, record)


# --- follow-up -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionProgress:
    position: int
    outcome: str  # "done" or "cancelled"
    note: str | None = None  # what was done, or why it was cancelled
    done_on: date | str | None = None
    agencies: tuple[str, ...] = ()  # the update-all-agencies action: who was updated
    how: str | None = None


def record_action(session: Session, record: StrategyRecord, user: User, expected_revision: int,
                  progress: ActionProgress) -> StrategyRecord:
    _require_final(record, "action progress recorded")
    action = session.exec(select(TrackedAction).where(
        TrackedAction.record_id == record.id, TrackedAction.version == record.version,
        TrackedAction.position == progress.position)).first()
    if action is None:
        raise Invalid({"position": "Choose one of this record's actions"})
    if action.status != "open":
        raise Refused(f"This action is already {action.status}")
    errors: dict[str, str] = {}
    values = {"note": progress.note, "done_on": progress.done_on, "how": progress.how}
    if progress.outcome == "done":
        note = _text(errors, values, "note", "Say what was done")
        done_on = _past_date(errors, values, "done_on", "Enter the date it was done, like 23/11/2026",
                             record, "The date it was done")
        agencies, how = [], None
        if action.kind == ActionKind.UPDATE_AGENCIES or action.kind == versions.CANCELLATION_UPDATE:
            known = set(Agency._value2member_map_)
            agencies = [a for a in dict.fromkeys(progress.agencies) if a in known]
            if not agencies or len(agencies) != len(set(progress.agencies)):
                errors["agencies"] = "Select each agency that was updated"
            how = _text(errors, values, "how", "Say how the agencies were updated",
                        limit=SHORT_TEXT_MAX)
    elif progress.outcome == "cancelled":
        note = _text(errors, values, "note", "Give the reason the action was cancelled")
        done_on, agencies, how = None, [], None
    else:
        raise Invalid({"outcome": "Choose done or cancelled"})
    if errors:
        raise Invalid(errors)
    _change(session, record, expected_revision)
    action.status = progress.outcome
    action.closed_at, action.closed_by_name, action.note, action.done_on = (
        datetime.now(UTC), user.display_name, note, done_on)
    session.add(action)
    kind = "action_done" if progress.outcome == "done" else "action_cancelled"
    _entry(session, record, user, kind, position=progress.position,
           action=action.description, note=note, done_on=done_on,
           agencies=agencies or None, how=how)
    refresh_read_model(session, record)
    return _commit(session, record)


def cancel_further_discussion(session: Session, record: StrategyRecord, user: User,
                              expected_revision: int, reason: str | None) -> StrategyRecord:
    """Cancel the further strategy discussion this record scheduled, and in the same step add
    the dated action to tell every agency involved of the cancellation and its reasons."""
    errors: dict[str, str] = {}
    reason = _text(errors, {"reason": reason}, "reason",
                   "Enter the reason the further strategy discussion is cancelled")
    _require_final(record, "a further discussion cancelled")
    data = record.content
    if not (data.next_steps.next_discussion_on
            or data.decision.outcome == Outcome.FURTHER_STRATEGY):
        raise Refused("This record does not schedule a further strategy discussion")
    if _discussion_cancelled(session, record):
        raise Refused("The further strategy discussion is already cancelled")
    if errors:
        raise Invalid(errors)
    _change(session, record, expected_revision)
    today = uk_now().date()
    due = cancellation_update_due(today, get_settings())
    position = len(versions.tracked_actions(session, record.id, record.version))
    text = f"{CANCELLATION_TEXT} {due:%-d %B %Y}"
    session.add(TrackedAction(
        record_id=record.id, version=record.version, position=position,
        kind=versions.CANCELLATION_UPDATE, description=text, owner=Agency.CSC.label,
        agency=Agency.CSC.value, team=record.team, led_by=record.led_by, due_date=due,
        discussion_on=discussion_day(data)))
    _entry(session, record, user, "discussion_cancelled", position=position, reason=reason,
           scheduled_for=data.next_steps.next_discussion_on, cancelled_on=today,
           update_due=due, action=text)
    refresh_read_model(session, record)
    # Every organisation that was sent this version is told, in the same transaction.
    sending.on_discussion_cancelled(session, record, datetime.now(UTC), user)
    return _commit(session, record)


def record_referrer_told(session: Session, record: StrategyRecord, user: User,
                         expected_revision: int, values: dict) -> StrategyRecord:
    """Who told the referrer the outcome, when and how; for a family member, how much."""
    _require_final(record, "referrer feedback recorded")
    errors: dict[str, str] = {}
    told_by = _text(errors, values, "told_by", "Enter who told the referrer",
                    limit=SHORT_TEXT_MAX)
    told_on = _past_date(errors, values, "told_on",
                         "Enter the date the referrer was told, like 23/11/2026", record,
                         "The date the referrer was told")
    how = _text(errors, values, "how", "Say how the referrer was told (phone, letter, meeting ...)",
                limit=SHORT_TEXT_MAX)
    family = values.get("family_member") in (True, "yes")
    shared = _text(errors, values, "shared", "Say how much was shared with the family member",
                   required=family)
    if errors:
        raise Invalid(errors)
    _change(session, record, expected_revision, referrer_feedback_due=False,
            referrer_told_on=told_on)
    report_rows.referrer_told(session, record.id, told_on)
    _entry(session, record, user, "referrer_told", told_by=told_by, told_on=told_on, how=how,
           family_member="yes" if family else "no", shared=shared)
    refresh_read_model(session, record)
    return _commit(session, record)


def record_edt_review(session: Session, record: StrategyRecord, user: User,
                      expected_revision: int, values: dict) -> StrategyRecord:
    """The day team's review of an EDT-led discussion."""
    _require_final(record, "a day-team review recorded")
    if record.led_by != LedBy.EDT:
        raise Refused("Only an EDT-led discussion has a day-team review")
    if record.reviewed_at is not None:
        raise Refused("The day team has already recorded its review of this discussion")
    errors: dict[str, str] = {}
    reviewed_by = _text(errors, values, "reviewed_by", "Enter who reviewed the record",
                        limit=SHORT_TEXT_MAX)
    reviewed_on = _past_date(errors, values, "reviewed_on",
                             "Enter the date of the review, like 23/11/2026", record,
                             "The date of the review")
    checked = _text(errors, values, "checked", "Say what was checked")
    corrected = _text(errors, values, "corrected", "", required=False)
    further = values.get("further_needed")
    if further not in ("yes", "no"):
        errors["further_needed"] = "Say whether a further strategy discussion is needed"
    if errors:
        raise Invalid(errors)
    _change(session, record, expected_revision, reviewed_at=datetime.now(UTC),
            reviewed_on=reviewed_on)
    report_rows.happened(session, record.id, reviewed_on=reviewed_on)
    _entry(session, record, user, "edt_review", reviewed_by=reviewed_by, reviewed_on=reviewed_on,
           checked=checked, corrected=corrected, further_needed=further)
    session.refresh(record)
    refresh_read_model(session, record)
    return _commit(session, record)
