"""The stored strategy record.

The record's content is one validated document (StrategyRecordData) in a JSON column:
the form, API, rules and PDF all read the same shape, a finalised version is an
immutable snapshot, and a field added to the schema needs no new table or join.
Columns outside the document are the ones the service filters or locks on.
"""

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.records.choices import RecordStatus
from app.records.schema import StrategyRecordData


class StrategyRecord(SQLModel, table=True):
    __tablename__ = "strategy_record"

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=40, unique=True, index=True)
    status: str = Field(default=RecordStatus.DRAFT.value, max_length=20, index=True)
    # The document version: 1 until an amendment makes a new one.
    version: int = Field(default=1)
    # Bumped on every save, so a save from a stale page is refused, never a silent overwrite.
    revision: int = Field(default=1)
    data: dict = Field(sa_column=Column(JSON, nullable=False))
    # The social-care team that owns the record (its author's team), for who may see it.
    team: str | None = Field(default=None, max_length=80, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime
    updated_at: datetime
    finalised_at: datetime | None = None

    @property
    def content(self) -> StrategyRecordData:
        return StrategyRecordData.model_validate(self.data, context={"stored": True})

    # Read straight from the stored document: access checks run on every request and need
    # only these two facts, not a full validation of the record.
    @property
    def led_by(self) -> str | None:
        return (self.data.get("header") or {}).get("led_by")

    @property
    def distribution(self) -> list[str]:
        return list(self.data.get("distribution") or [])

    @property
    def is_editable(self) -> bool:
        return self.status == RecordStatus.DRAFT
