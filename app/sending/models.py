"""The outbox and the receipts.

- `Notification`: one email to one partner-agency user, written in the same transaction as
  the finalisation (or authorisation) that sends the record: a transactional outbox. A worker
  claims due rows one at a time with a lease (status "sending", `claimed_at`) and delivers
  them; a crash loses none (the lease runs out and another worker claims it again), and while
  the lease lasts no other worker (or instance) sends the same one.
- `RecordReceipt`: one row per version sent to an agency: when it was sent, and when a user
  of that agency first opened and first downloaded it. "New to the police" and "not opened
  within N working days" are index lookups here, never scans of the audit log.
"""

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def _record_id() -> Column:
    return Column(Integer, ForeignKey("strategy_record.id", ondelete="CASCADE"), nullable=False)


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (
        # The worker's "due now": pending rows by when they are due.
        Index("ix_notification_status_due", "status", "next_attempt_at"),
        Index("ix_notification_record", "record_id", "version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(sa_column=_record_id())
    version: int
    agency: str = Field(max_length=40)
    # "sent" (the record went out) or "corrected" (a later version superseded one they had).
    kind: str = Field(default="sent", max_length=20)
    recipient_id: int = Field(foreign_key="app_user.id")
    email: str = Field(max_length=320)
    # pending, sending (claimed by a worker), sent, logged (no SMTP configured), failed.
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    next_attempt_at: datetime
    claimed_at: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    sent_at: datetime | None = None
    created_at: datetime


class RecordReceipt(SQLModel, table=True):
    __tablename__ = "record_receipt"
    __table_args__ = (
        UniqueConstraint("record_id", "version", "agency"),
        # A partner's "new to us" and the manager's "not opened": by agency, unopened first.
        Index("ix_record_receipt_agency_opened", "agency", "first_opened_at"),
        # The live audit: receipts over a period of discussions.
        Index("ix_record_receipt_discussion", "discussion_on",
              postgresql_include=["record_id", "version", "agency", "first_opened_at", "sent_at"]),
    )

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(sa_column=_record_id())
    version: int
    agency: str = Field(max_length=40)
    sent_at: datetime
    first_opened_at: datetime | None = None
    first_downloaded_at: datetime | None = None
    # The version's discussion date, copied for the live audit (see TrackedAction's).
    discussion_on: date | None = None
