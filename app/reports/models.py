"""The report's read model: one row per finalised record and measure that applies to it.

Written when a version is finalised (and removed when it is returned), from the version's
document by app/rules/measures.py. The discussion date, team and who led it are copied in,
so a report over a period is one index range scan and an aggregate, with no join and no
document read.
"""

from datetime import date

from sqlalchemy import Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel


class RecordMeasure(SQLModel, table=True):
    __tablename__ = "record_measure"
    __table_args__ = (
        Index("ix_record_measure_period", "measure", "discussion_on", "met"),
    )

    record_id: int = Field(sa_column=Column(
        Integer, ForeignKey("strategy_record.id", ondelete="CASCADE"), primary_key=True))
    measure: str = Field(max_length=60, primary_key=True)
    met: bool
    # The version in force these rows are of: its actions and receipts are the ones counted.
    version: int
    # The finalised version's discussion date, team and who led it (day team or EDT).
    discussion_on: date
    team: str | None = Field(default=None, max_length=80)
    led_by: str | None = Field(default=None, max_length=20)
