"""The returns' read model (issue 24): rows the projection (app/followup/projection.py)
derives from each record, so the list's identifier search, the manager's page and the exports
read indexed columns and never a document.

- `ChildIdentifier`: each identifier a record's children carry (case-system person ID, NHS
  number, UPN) as its search key, for the list's exact-match search.
- `Section47Enquiry`: one row per child of a version in force whose decision started a
  section 47 enquiry, with the enquiry's course as recorded after the meeting.
"""

from datetime import date

from sqlalchemy import Column, ForeignKey, Index, Integer, text
from sqlmodel import Field, SQLModel


def _record_id() -> Column:
    return Column(Integer, ForeignKey("strategy_record.id", ondelete="CASCADE"), nullable=False,
                  index=True)


class ChildIdentifier(SQLModel, table=True):
    __tablename__ = "child_identifier"
    __table_args__ = (Index("ix_child_identifier_value", "value", "record_id"),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(sa_column=_record_id())
    # person_id, nhs_number or upn
    kind: str = Field(max_length=20)
    # schema.identifier_key of the value: what a search is compared with.
    value: str = Field(max_length=40)


class Section47Enquiry(SQLModel, table=True):
    __tablename__ = "section47_enquiry"
    __table_args__ = (
        # An export walks a period in this order (keyset), so siblings of one further
        # discussion's enquiry come together.
        Index("ix_section47_enquiry_export", "start_on", "person_key", "record_id", "position"),
        # The manager's page: enquiries still open, oldest first.
        Index("ix_section47_enquiry_open", "start_on", "record_id",
              postgresql_where=text("completed_on IS NULL"),
              sqlite_where=text("completed_on IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(sa_column=_record_id())
    version: int
    # The child's place in the version's list of children, and how the record names them.
    position: int
    child_key: str = Field(max_length=40)
    child_title: str = Field(max_length=200)
    unborn: bool = False
    person_id: str | None = Field(default=None, max_length=40)
    # schema.identifier_key of the person ID ("" without one): one child's rows sort together.
    person_key: str = Field(default="", max_length=40)
    team: str | None = Field(default=None, max_length=80)
    discussion_on: date | None = None
    # The date of the discussion that decided the enquiry (for a further discussion, the
    # earlier one's), and the conference's target 15 working days after it.
    start_on: date | None = None
    continues: bool = False
    icpc_target: date | None = None
    icpc_on: date | None = None
    icpc_not_required: bool = False
    icpc_not_required_reason: str | None = None
    completed_on: date | None = None
    # One of returns.course.OUTCOMES, once completed.
    outcome: str | None = Field(default=None, max_length=20)
