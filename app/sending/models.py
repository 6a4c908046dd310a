"""The outbox and the receipts.

- `Notification`: one email to one partner organisation (its secure address, or one of its
  users), written in the same transaction as
  the finalisation (or authorisation) that sends the record: a transactional outbox. A worker
  claims due rows one at a time with a lease (status "sending", `claimed_at`) and delivers
  them; a crash loses none (the lease runs out and another worker claims it again), and while
  the lease lasts no other worker (or instance) sends the same one.
- `RecordReceipt`: one row per version sent to an organisation: when it was sent, and when a
  user of that organisation first opened and first downloaded it. A receipt is what lets a
  partner read a version (app/visibility.py): a version once sent stays readable to that
  organisation until a manager withdraws it (sent in error), with a reason. "New to us" and "not opened
  within N working days" are index lookups here, never scans of the audit log.
"""

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, Text, UniqueConstraint, text
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
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    # The organisation's kind of agency (choices.Agency), copied.
    agency: str = Field(max_length=40)
    # "sent" (the record went out), "corrected" (a later version, sent to them, replaces one
    # they had), "superseded" (a later version not sent to them replaces theirs) or
    # "withdrawn" (a version sent in error was withdrawn from them) or "discussion_cancelled"
    # (the further discussion the version they were sent schedules is cancelled).
    kind: str = Field(default="sent", max_length=20)
    # The user it went to; None when it went to the organisation's own secure address.
    recipient_id: int | None = Field(default=None, foreign_key="app_user.id")
    email: str = Field(max_length=320)
    # pending, sending (claimed by a worker), sent, logged (no SMTP configured), failed.
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    next_attempt_at: datetime
    claimed_at: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    sent_at: datetime | None = None
    created_at: datetime


_UNOPENED = "first_opened_at IS NULL AND withdrawn_at IS NULL"


class RecordReceipt(SQLModel, table=True):
    __tablename__ = "record_receipt"
    __table_args__ = (
        UniqueConstraint("record_id", "version", "organisation_id"),
        # What an organisation may read, and its "new to us": by organisation, then record.
        Index("ix_record_receipt_organisation", "organisation_id", "record_id", "version"),
        Index("ix_record_receipt_agency_opened", "agency", "first_opened_at"),
        # The live audit: receipts over a period of discussions.
        Index("ix_record_receipt_discussion", "discussion_on",
              postgresql_include=["record_id", "version", "agency", "first_opened_at", "sent_at"]),
        # The manager's "not opened in time", oldest sending first (migration 0013; which are
        # of the version in force, from the index alone: 0028).
        Index("ix_record_receipt_unopened", "sent_at", "id",
              postgresql_include=["record_id", "version", "organisation_id", "in_force"],
              postgresql_where=text(_UNOPENED), sqlite_where=text(_UNOPENED)),
        # What was sent to an organisation no one can be notified at, oldest sending first.
        Index("ix_record_receipt_organisation_sent", "organisation_id", "sent_at", "id",
              postgresql_include=["record_id", "version", "in_force"],
              postgresql_where=text("withdrawn_at IS NULL"),
              sqlite_where=text("withdrawn_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(sa_column=_record_id())
    version: int
    organisation_id: int = Field(foreign_key="organisation.id")
    # The organisation's kind of agency, copied: the live audit counts receipts by it.
    agency: str = Field(max_length=40)
    sent_at: datetime
    first_opened_at: datetime | None = None
    first_downloaded_at: datetime | None = None
    # The version's discussion date, copied for the live audit (see TrackedAction's).
    discussion_on: date | None = None
    # Withdrawn from this organisation (sent in error): it may no longer read this version.
    withdrawn_at: datetime | None = None
    withdrawn_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    withdrawn_reason: str | None = Field(default=None, sa_column=Column(Text))
    # Of the record's version in force (see TrackedAction's), kept by the projection.
    in_force: bool = Field(default=False)


class WorkerHeartbeat(SQLModel, table=True):
    """When a delivery worker last finished a round (/readyz checks it is recent)."""

    __tablename__ = "worker_heartbeat"

    name: str = Field(primary_key=True, max_length=40)
    beat_at: datetime
