"""What happens to a record after its discussion, beside the record, never inside its document.

- `RecordVersion`: each finalised version's document as it was finalised (it never changes,
  so its stored PDF stays valid), with who finalised and authorised it and which version
  superseded it.
- `FollowUpEntry`: one dated, attributed entry per transition or piece of follow-up (the
  record page's timeline).
- `TrackedAction`: each action of a finalised version as a row with indexed columns, so the
  actions tracker and the manager's page never load documents.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.domain.choices import ActionStatus


def _record_id() -> Column:
    return Column(Integer, ForeignKey("strategy_record.id", ondelete="CASCADE"), nullable=False,
                  index=True)


class RecordVersion(SQLModel, table=True):
    __tablename__ = "record_version"
    __table_args__ = (UniqueConstraint("record_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(sa_column=_record_id())
    version: int
    data: dict = Field(
        sa_column=Column(JSON().with_variant(JSONB(), "postgresql"), nullable=False)
    )
    finalised_at: datetime
    finalised_by_id: int | None = None
    authorised_at: datetime | None = None
    authorised_by_id: int | None = None
    authorised_by_name: str | None = Field(default=None, max_length=200)
    superseded_by: int | None = None
    superseded_at: datetime | None = None


class FollowUpEntry(SQLModel, table=True):
    __tablename__ = "followup_entry"
    __table_args__ = (Index("ix_followup_entry_record_at", "record_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(sa_column=Column(
        Integer, ForeignKey("strategy_record.id", ondelete="CASCADE"), nullable=False))
    # The version the entry is about.
    version: int
    # One of service.KINDS.
    kind: str = Field(max_length=30, index=True)
    at: datetime
    by_id: int | None = None
    # The name as it was when the entry was made: the timeline reads as it happened.
    by_name: str = Field(max_length=200)
    # For action progress: the action's position in the version's list of actions.
    action_position: int | None = None
    # What was recorded (comments, reason, note, agencies updated ...), plain strings.
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class TrackedAction(SQLModel, table=True):
    __tablename__ = "tracked_action"
    __table_args__ = (
        UniqueConstraint("record_id", "version", "position"),
        # The tracker's "open actions, earliest due first" within what a user may see.
        Index("ix_tracked_action_open_due", "status", "due_date"),
        Index("ix_tracked_action_team_open", "team", "status", "due_date"),
        # The live audit: one kind of action of the versions in force over a period of
        # discussions, every column its figures test in the index (migration 0029).
        Index("ix_tracked_action_kind_discussion", "kind", "discussion_on",
              postgresql_include=["record_id", "status", "done_on", "due_date", "team", "led_by"],
              postgresql_where=text("in_force"), sqlite_where=text("in_force = 1")),
        # The tracker and the manager's page: open actions in due-date order (migration 0013),
        # telling those of the version in force from the index alone (0028).
        Index("ix_tracked_action_open", "due_date", "id",
              postgresql_include=["record_id", "version", "kind", "in_force"],
              postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'")),
        # The manager's count of overdue actions of one kind reads only those (migration 0030).
        # SQLite matches a partial index's condition term for term, and `in_force == true()`
        # reaches it as `in_force = 1`.
        Index("ix_tracked_action_open_kind", "kind", "due_date", "id",
              postgresql_include=["record_id", "version"],
              postgresql_where=text("status = 'open' AND in_force"),
              sqlite_where=text("status = 'open' AND in_force = 1")),
    )

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(sa_column=_record_id())
    version: int
    # Its place in the version's list of actions; actions added after finalisation (the
    # cancellation's update) come after the document's own.
    position: int
    # "task", "update_agencies", or "cancellation_update".
    kind: str = Field(max_length=30)
    description: str
    owner: str | None = Field(default=None, max_length=200, index=True)
    agency: str | None = Field(default=None, max_length=40, index=True)
    # The record's team and who led it, copied so the tracker filters without a join.
    team: str | None = Field(default=None, max_length=80)
    led_by: str | None = Field(default=None, max_length=20)
    due_date: date | None = None
    # The version's discussion date, copied so the live audit reads a period of actions by
    # index instead of looking each record up.
    discussion_on: date | None = None
    # open, done or cancelled. An earlier version's actions keep theirs: see in_force.
    status: str = Field(default="open", max_length=20)
    # Of the record's version in force (strategy_record.latest_final_version), kept by the
    # projection: the tracker and the manager's page skip the rest without a lookup each.
    in_force: bool = Field(default=False)
    closed_at: datetime | None = None
    # The day it was done, as recorded (on time is by this day, not by when it was typed in).
    done_on: date | None = None
    closed_by_name: str | None = Field(default=None, max_length=200)
    note: str | None = None

    @property
    def is_open(self) -> bool:
        """Still to be done: progress (done, cancelled, a new date) may be recorded."""
        return self.status == ActionStatus.OPEN
