"""What is left of a record retention deleted: a tombstone, so the reference is never reused
and anyone asking later can be told when it was deleted and on whose approval."""

from datetime import date, datetime

from sqlmodel import Field, SQLModel


class RecordTombstone(SQLModel, table=True):
    __tablename__ = "record_tombstone"

    id: int | None = Field(default=None, primary_key=True)
    # The deleted record's id and reference (nothing else of it: no child's name survives).
    record_id: int = Field(index=True)
    reference: str = Field(max_length=40, unique=True)
    created_at: datetime
    last_changed_at: datetime
    # The day it became due, as the rule in force at deletion computed it, and that rule.
    due_on: date | None = None
    rule: str = Field(max_length=200)
    purged_at: datetime
    approved_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    approved_by: str = Field(max_length=80)
