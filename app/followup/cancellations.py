"""A cancelled further strategy discussion, as every reader of the version is told it.

The cancellation is a follow-up entry ("discussion_cancelled") on the version it cancels; the
version's document never changes. Social care, each partner organisation that was sent the
version, the API and the printed record all read it from here, so they say the same: the
date it was for, when it was cancelled and by whom, why, and the dated action to tell every
agency. The reason is for the agencies ("CSC will update all agencies involved of the
cancellation and its reasons"), so partners read it too.
"""

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, Field
from sqlmodel import Session, select

from app.domain.choices import RecordStatus
from app.followup.models import FollowUpEntry
from app.records.models import StrategyRecord

KIND = "discussion_cancelled"


@dataclass(frozen=True)
class Cancellation:
    scheduled_for: date | None
    cancelled_on: date
    reason: str
    action: str  # "CSC will update all agencies involved of the cancellation ... by <date>"
    by: str
    update_due: date | None = None


def _date(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def cancellations(session: Session, record_id: int, version: int,
                  every: list[FollowUpEntry] | None = None) -> tuple[Cancellation, ...]:
    """The further discussions cancelled on this version or an earlier one (a cancellation
    carries to every later version, as every fact after the meeting does), oldest first.
    `every`: the record's entries in that order, if the caller has read them already."""
    if every is not None:
        entries = [e for e in every if e.version <= version and e.kind == KIND]
    else:
        entries = list(session.exec(select(FollowUpEntry).where(
            FollowUpEntry.record_id == record_id, FollowUpEntry.version <= version,
            FollowUpEntry.kind == KIND).order_by(FollowUpEntry.at, FollowUpEntry.id)).all())
    return tuple(
        Cancellation(scheduled_for=_date(e.details.get("scheduled_for")),
                     cancelled_on=_date(e.details.get("cancelled_on")) or e.at.date(),
                     reason=e.details.get("reason", ""), action=e.details.get("action", ""),
                     by=e.by_name, update_due=_date(e.details.get("update_due")))
        for e in entries)


# --- as the API reads it --------------------------------------------------------------------

CANCELLED_NOTE = ("Set when the further strategy discussion this version schedules was "
                  "cancelled; null otherwise")


class CancelledDiscussionOut(BaseModel):
    """The further strategy discussion this version schedules, cancelled after it was finalised
    (the version's own content still gives the date it was set for)."""

    scheduled_for: date | None = Field(description="The date it was set for")
    cancelled_on: date
    cancelled_by: str
    reason: str = Field(description="Why it was cancelled: for every agency involved")
    update_agencies_by: date | None = Field(
        description="The date by which CSC will update all agencies of the cancellation and "
                    "its reasons")


def cancelled_out(session: Session | None, record: StrategyRecord) -> CancelledDiscussionOut | None:
    """The cancellation of the further discussion the version `record` holds, if any (a draft
    has none: it is not yet a version anyone was sent)."""
    if session is None or record.status == RecordStatus.DRAFT:
        return None
    found = cancellations(session, record.id, record.version)
    if not found:
        return None
    latest = found[-1]  # a second cancellation of the same discussion is refused
    return CancelledDiscussionOut(
        scheduled_for=latest.scheduled_for, cancelled_on=latest.cancelled_on,
        cancelled_by=latest.by, reason=latest.reason, update_agencies_by=latest.update_due)
