"""The report's read model: one row per record with a finalised version in force.

Written when a version is finalised (and removed when it is returned), from the version's
document by app/rules/measures.py: a column per measure, NULL where it does not apply, else
whether it is met. The discussion date, team and who led it are copied in, so a report over a
period is one index range scan of about as many rows as records and one aggregate, with no
join and no document read. A new measure is a new column (and a migration);
tests/test_report_figures.py checks every measure has its column.
"""

from datetime import date

from sqlalchemy import Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel

from app.rules.measures import MEASURE_IDS


def column_of(measure: str) -> str:
    return "m_" + measure.replace("-", "_")


MEASURE_COLUMNS = {measure: column_of(measure) for measure in sorted(MEASURE_IDS)}


class RecordMeasure(SQLModel, table=True):
    __tablename__ = "record_measure"
    # A period's rows, read from the index alone: it holds every column a figure tests
    # (migration 0029; `tests/test_report_figures.py` checks each is there).
    __table_args__ = (Index("ix_record_measure_discussion_on", "discussion_on", postgresql_include=[
        "record_id", "version", "team", "led_by", "sent_late", "review_due", "reviewed_on",
        "authorised", "returned", "amended", "referrer_told_on", *MEASURE_COLUMNS.values()]),)

    record_id: int = Field(sa_column=Column(
        Integer, ForeignKey("strategy_record.id", ondelete="CASCADE"), primary_key=True))
    # The version in force these facts are of: its actions and receipts are the ones counted.
    version: int
    # The finalised version's discussion date, team and who led it (day team or EDT).
    discussion_on: date
    team: str | None = Field(default=None, max_length=80)
    led_by: str | None = Field(default=None, max_length=20)

    # What happened after the meeting, kept here by the services as it happens: first sent
    # late, the EDT review's due day and the day it took place, authorised, ever returned,
    # the day the referrer was told.
    sent_late: bool | None = None
    review_due: date | None = None
    reviewed_on: date | None = None
    authorised: bool = False
    returned: bool = False
    # Ever amended after finalising (a correction after a return is not an amendment).
    amended: bool = False
    referrer_told_on: date | None = None

    m_participants_recorded: bool | None = None
    m_outside_contributions: bool | None = None
    m_partners_in_discussion: bool | None = None
    m_agency_positions: bool | None = None
    m_no_concerns_recorded: bool | None = None
    m_not_contacted_reasons: bool | None = None
    m_experience_recorded: bool | None = None
    m_experience_observed: bool | None = None
    m_midwifery_unborn: bool | None = None
    m_prebirth_conference: bool | None = None
    m_icpc_within_limit: bool | None = None
    m_referrer_told: bool | None = None
    m_no_warnings: bool | None = None

