"""Every change after a record is finalised goes through here: authorise, return, amend, and
each kind of follow-up entry. Each checks the workflow and the revision the change was based
on, changes the rows in one transaction and writes a timeline entry.

Refusals are exceptions the pages show as a GOV.UK error summary and the API answers with:
`Refused` (the workflow does not allow it: 409), `Invalid` (what was sent is incomplete or
malformed: 422, per field) and the records service's `StaleRecord` (409).
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import update
from sqlmodel import Session, select

from app.auth.models import User
from app.config import get_settings
from app.domain.choices import ActionKind, LedBy, Outcome, RecordStatus, ReturnReason
from app.domain.schema import LONG_TEXT_MAX, SHORT_TEXT_MAX, uk_now
from app.followup import projection, versions
from app.followup.models import FollowUpEntry, RecordVersion, TrackedAction
from app.followup.separation import took_part
from app.parsing import typed_date
from app.records.models import StrategyRecord
from app.records.service import StaleRecord
from app.rules.dates import followup_date
from app.rules.due_dates import cancellation_update_due
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
    now = datetime.now(UTC)
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


# --- follow-up -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionProgress:
    position: int
    outcome: str  # "done", "cancelled" or "redated"
    note: str | None = None  # what was done, why it was cancelled, or why it is re-dated
    done_on: date | str | None = None
    # An action that tells every agency: the organisations updated (ids), and for each one
    # on the distribution that was not, why ({id: reason}).
    updated: tuple[int, ...] = ()
    not_updated: dict = field(default_factory=dict)
    how: str | None = None
    due_date: date | str | None = None  # re-dated: the new date


OUTCOMES = {"done": "action_done", "cancelled": "action_cancelled", "redated": "action_redated"}


def _tracked(session: Session, record: StrategyRecord, position) -> TrackedAction:
    action = session.exec(select(TrackedAction).where(
        TrackedAction.record_id == record.id, TrackedAction.version == record.version,
        TrackedAction.position == position)).first() if isinstance(position, int) else None
    if action is None:
        raise Invalid({"position": "Choose one of this record's actions"})
    return action


def _organisations_told(errors: dict, record: StrategyRecord, progress: ActionProgress
                        ) -> tuple[list[dict], list[dict]]:
    """Every organisation on the distribution, either ticked as updated or given a reason."""
    listed = {r.organisation_id: r.name for r in record.content.distribution}
    ticked = [org for org in dict.fromkeys(progress.updated) if org in listed]
    if len(ticked) != len(set(progress.updated)):
        errors["updated"] = "Select organisations from the record's distribution list"
        return [], []
    reasons = {org: reason.strip() for org, reason in (progress.not_updated or {}).items()
               if isinstance(reason, str) and reason.strip()}
    missing = [org for org in listed if org not in ticked and org not in reasons]
    if missing:
        errors["updated"] = ("Tick each organisation that was updated, or say why it was not: "
                             + ", ".join(listed[org] or f"organisation {org}" for org in missing))
        return [], []
    if any(len(reason) > SHORT_TEXT_MAX for reason in reasons.values()):
        errors["updated"] = f"Give each reason in at most {SHORT_TEXT_MAX} characters"
    return ([{"organisation_id": org, "name": listed[org]} for org in ticked],
            [{"organisation_id": org, "name": listed[org], "reason": reasons[org]}
             for org in listed if org not in ticked])


def record_action(session: Session, record: StrategyRecord, user: User, expected_revision: int,
                  progress: ActionProgress) -> StrategyRecord:
    """Done, cancelled or re-dated, as a timeline entry naming the action by what it is (so it
    carries to later versions); the tracker's row follows from it."""
    _require_final(record, "action progress recorded")
    action = _tracked(session, record, progress.position)
    if action.kind == projection.REFERRER_FEEDBACK:
        raise Refused("Record how the referrer was told with the form 'Tell the referrer the "
                      "outcome'")
    if action.status != "open":
        raise Refused(f"This action is already {action.status}")
    kind = OUTCOMES.get(progress.outcome)
    if kind is None:
        raise Invalid({"outcome": "Choose done, cancelled or a new date"})
    if kind == "action_cancelled" and action.kind == ActionKind.UPDATE_AGENCIES:
        raise Refused("The action to update all agencies cannot be cancelled: record it as "
                      "done, saying why any organisation was not updated, or give it a new date "
                      "and the reason")
    errors: dict[str, str] = {}
    values = {"note": progress.note, "done_on": progress.done_on, "how": progress.how,
              "due_date": progress.due_date}
    details: dict = {}
    if kind == "action_done":
        note = _text(errors, values, "note", "Say what was done")
        details["done_on"] = _past_date(errors, values, "done_on",
                                        "Enter the date it was done, like 23/11/2026", record,
                                        "The date it was done")
        if action.kind in projection.UPDATE_KINDS:
            details["updated"], details["not_updated"] = _organisations_told(
                errors, record, progress)
            details["how"] = _text(errors, values, "how", "Say how the organisations were updated",
                                   limit=SHORT_TEXT_MAX)
    elif kind == "action_cancelled":
        note = _text(errors, values, "note", "Give the reason the action was cancelled")
    else:
        note = _text(errors, values, "note", "Give the reason for the new date")
        details["due_date"] = _future_date(errors, values, "due_date",
                                           "Enter the new date, like 23/11/2026")
        if details["due_date"] and details["due_date"] == action.due_date:
            errors["due_date"] = "Enter a date other than the one it is due"
    if errors:
        raise Invalid(errors)
    _change(session, record, expected_revision)
    _entry(session, record, user, kind, position=progress.position,
           key=list(projection.key_of(action, record.content)), action=action.description,
           note=note, **details)
    return _commit(session, record)


def _future_date(errors: dict, values: dict, name: str, message: str) -> date | None:
    raw = values.get(name)
    try:
        if not isinstance(raw, date | str) or not str(raw).strip():
            raise ValueError(message)
        value = raw if isinstance(raw, date) else typed_date(raw)
    except ValueError as problem:
        errors[name] = str(problem)
        return None
    if value < uk_now().date():
        errors[name] = "The new date must be today or later"
    return value


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
    # The projection adds the action (to this version and every later one) from this entry.
    _entry(session, record, user, "discussion_cancelled", reason=reason,
           scheduled_for=data.next_steps.next_discussion_on, cancelled_on=today,
           update_due=due, action=f"{CANCELLATION_TEXT} {due:%-d %B %Y}")
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
    _change(session, record, expected_revision)
    _entry(session, record, user, "referrer_told", told_by=told_by, told_on=told_on, how=how,
           family_member="yes" if family else "no", shared=shared)
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
    _change(session, record, expected_revision)
    _entry(session, record, user, "edt_review", reviewed_by=reviewed_by, reviewed_on=reviewed_on,
           checked=checked, corrected=corrected, further_needed=further)
    return _commit(session, record)
