"""Follow-up after the meeting, each a timeline entry: an action done, cancelled or given a new
date; a further strategy discussion cancelled; the referrer told the outcome; the day team's
review of an EDT-led discussion. Each checks the workflow and the revision it was based on
with the shared steps of app/followup/service.py (and refuses as they do), changes the rows
in one transaction and writes its entry."""

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from app.auth.models import User
from app.clock import utc_now
from app.config import get_settings
from app.domain.choices import LedBy, Outcome, is_fixed_action
from app.domain.fields import SHORT_TEXT_MAX
from app.domain.schema import uk_now
from app.followup import projection
from app.followup.models import TrackedAction
from app.followup.service import (
    Invalid,
    Refused,
    _change,
    _commit,
    _discussion_cancelled,
    _entry,
    _past_date,
    _require_final,
    _text,
)
from app.parsing import typed_date
from app.records.models import StrategyRecord
from app.rules.due_dates import cancellation_update_due
from app.sending import service as sending

CANCELLATION_TEXT = ("CSC will update all agencies involved of the cancellation and its "
                     "reasons by")


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
    if not action.is_open:
        raise Refused(f"This action is already {action.status}")
    kind = OUTCOMES.get(progress.outcome)
    if kind is None:
        raise Invalid({"outcome": "Choose done, cancelled or a new date"})
    if kind == "action_cancelled" and is_fixed_action(action.kind):
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
    sending.on_discussion_cancelled(session, record, utc_now(), user)
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
