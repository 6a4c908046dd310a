"""The live audit's kept counts (app/reports/tally.py) and what tells when they are stale.

`report_month` holds a number per month and table, bumped by database triggers (migration
0025) whenever a row the figures count changes in that month; `report_tally` holds one
family's counts for one month (or the part of it a period covers), for one team and kind of
lead, as counted at those numbers."""

from datetime import date

from sqlalchemy import JSON, BigInteger, Column, Index, String
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel


class ReportMonth(SQLModel, table=True):
    __tablename__ = "report_month"

    month: str = Field(sa_column=Column(String(7), primary_key=True))  # "YYYY-MM"
    # The table whose rows changed: a receipt opened leaves the records' counts kept.
    counted: str = Field(sa_column=Column(String(40), primary_key=True))
    generation: int = Field(sa_column=Column(BigInteger, nullable=False))


class ReportTally(SQLModel, table=True):
    __tablename__ = "report_tally"
    __table_args__ = (Index("ix_report_tally_made_on", "made_on"),)

    # A digest of what was counted: the family, team, lead and days (see tally._key).
    key: str = Field(sa_column=Column(String(64), primary_key=True))
    # The UK day it was counted on: what is overdue depends on it, and older ones are dropped.
    made_on: date
    # A digest of the day, the settings and the figures' version it was counted under.
    basis: str = Field(sa_column=Column(String(64), nullable=False))
    # The sum of its month's numbers for the tables it reads (each only ever goes up).
    generation: int = Field(sa_column=Column(BigInteger, nullable=False))
    body: dict = Field(sa_column=Column(
        JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False))
