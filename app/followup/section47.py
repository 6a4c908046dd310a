"""The section 47 enquiry's course after the meeting (issue 24): when it was completed and how
it ended, and whether the initial child protection conference was held (on a date) or was not
required (with the reason). One fact, written as a follow-up entry like the others; the
projection turns the latest into each child's row for the returns (app/followup/course.py).
Recorded again, the new entry replaces the old one's facts; both stay on the timeline."""

from sqlmodel import Session, select

from app.auth.models import User
from app.config import get_settings
from app.domain.choices import S47_OUTCOMES
from app.domain.fields import SHORT_TEXT_MAX
from app.followup.course import COURSE, OUTCOMES
from app.followup.models import FollowUpEntry
from app.followup.service import (
    Invalid,
    Refused,
    _change,
    _commit,
    _entry,
    _past_date,
    _require_final,
    _text,
)
from app.records.models import StrategyRecord
from app.rules.next_steps import conference_due, s47_started_on

ICPC_CHOICES = {"held": "Held", "not_required": "Not required", "": "Not yet known"}


def started_enquiry(record: StrategyRecord) -> bool:
    return record.content.decision.outcome in S47_OUTCOMES


def form_state(session: Session, record: StrategyRecord) -> dict | None:
    """What the follow-up page's section 47 form shows: the start, the conference's target
    and the course recorded so far; None when the record started no enquiry."""
    if record.is_draft or not started_enquiry(record):
        return None
    latest = session.exec(select(FollowUpEntry.details).where(
        FollowUpEntry.record_id == record.id, FollowUpEntry.kind == COURSE)
        .order_by(FollowUpEntry.at.desc(), FollowUpEntry.id.desc()).limit(1)).first()
    course = dict(latest or {})
    course["icpc"] = ("held" if course.get("icpc_on") else "not_required"
                      if course.get("icpc_not_required") == "yes" else "")
    return {"start": s47_started_on(record.content),
            "target": conference_due(record.content, get_settings()),
            "course": course, "outcomes": OUTCOMES, "icpc_choices": ICPC_CHOICES}


def record_course(session: Session, record: StrategyRecord, user: User,
                  expected_revision: int, values: dict) -> StrategyRecord:
    """`values` (a form's or a client's): completed_on and outcome (both or neither), icpc
    ("held", "not_required" or blank) with icpc_on or icpc_not_required_reason."""
    _require_final(record, "a section 47 enquiry's course recorded")
    if not started_enquiry(record):
        raise Refused("This record's decision did not start a section 47 enquiry")
    errors: dict[str, str] = {}
    completed_on = outcome = icpc_on = reason = None
    outcome_raw = values.get("outcome") or ""
    if outcome_raw and outcome_raw not in OUTCOMES:
        errors["outcome"] = "Select how the enquiry ended"
    elif outcome_raw:
        outcome = outcome_raw
    if values.get("completed_on") or outcome:
        completed_on = _past_date(errors, values, "completed_on",
                                  "Enter the date the enquiry was completed, like 23/11/2026",
                                  record, "The date the enquiry was completed")
        if completed_on and not outcome and "outcome" not in errors:
            errors["outcome"] = "Select how the enquiry ended"
    icpc = values.get("icpc") or ""
    if icpc not in ICPC_CHOICES:
        errors["icpc"] = "Say whether the initial conference was held or not required"
    elif icpc == "held":
        icpc_on = _past_date(errors, values, "icpc_on",
                             "Enter the date the conference was held, like 23/11/2026", record,
                             "The date of the conference")
    elif icpc == "not_required":
        reason = _text(errors, values, "icpc_not_required_reason",
                       "Say why no initial conference is required", limit=SHORT_TEXT_MAX)
        if outcome == "icpc":
            errors["icpc"] = ("The enquiry ended in an initial conference: record the date it "
                              "was held, or choose another outcome")
    start = s47_started_on(record.content)
    for name, day in (("icpc_on", icpc_on), ("completed_on", completed_on)):
        if day and start and day < start and name not in errors:
            errors[name] = f"This date cannot be before the enquiry started on {start:%-d %B %Y}"
    if errors:
        raise Invalid(errors)
    _change(session, record, expected_revision)
    _entry(session, record, user, COURSE, completed_on=completed_on, outcome=outcome,
           icpc_on=icpc_on, icpc_not_required="yes" if icpc == "not_required" else "no",
           icpc_not_required_reason=reason)
    return _commit(session, record)
