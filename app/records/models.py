"""The stored strategy record.

The record's content is one validated document (StrategyRecordData) in a JSON column
(JSONB on PostgreSQL): the form, API, rules and PDF all read the same shape, a finalised
version is an immutable snapshot, and a field added to the schema needs no new table.

Beside it sits the read model: the facts lists, queues, access checks and reports filter
or sort on, copied out of the document by `service.derived_columns` in the same
transaction as every save. Nothing that lists records loads or validates documents.
"""

from datetime import date, datetime

from fastapi import HTTPException
from pydantic import ValidationError
from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.domain.choices import FINAL_STATUSES, RecordStatus
from app.domain.schema import StrategyRecordData


class DamagedRecord(HTTPException):
    """A stored document that no longer validates.

    An HTTP error, so every route that reads the content answers 409 with the reason
    (JSON for the API, a page for people) instead of a 500, without each route catching it.
    """

    def __init__(self, reference: str, reason: str):
        super().__init__(
            409,
            f"Strategy record {reference} is damaged: its stored content no longer passes "
            f"validation ({reason}). Nothing has been changed. Ask an administrator to "
            "repair it.",
        )
        self.reference = reference
        self.reason = reason


def damage_reason(error: ValidationError, limit: int = 5) -> str:
    """A readable summary of why a document fails, naming fields but never their values."""
    problems = [
        f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}"
        for e in error.errors(include_input=False, include_url=False)
    ]
    more = f"; and {len(problems) - limit} more" if len(problems) > limit else ""
    return "; ".join(problems[:limit]) + more


_FINAL = "status IN (" + ", ".join(f"'{s.value}'" for s in FINAL_STATUSES) + ")"


def _partial(name: str, columns: list[str], covering: list[str], where: str) -> Index:
    """An index of the rows matching `where` (both databases), holding `covering` too on
    PostgreSQL so a query reads it without visiting the table."""
    return Index(name, *columns, postgresql_include=covering, postgresql_where=text(where),
                 sqlite_where=text(where))


class StrategyRecord(SQLModel, table=True):
    __tablename__ = "strategy_record"
    __table_args__ = (
        # The list's default sort within what each kind of user may see: a team's records,
        # EDT-led records, and everything (partners, joined through record_distribution).
        Index("ix_strategy_record_team_sort", "team", "sort_at", "id"),
        Index("ix_strategy_record_led_by_sort", "led_by", "sort_at", "id"),
        Index("ix_strategy_record_sort", "sort_at", "id"),
        # Search is "contains", which no b-tree serves: trigrams do, on PostgreSQL. On SQLite
        # this is a plain index search cannot use (it scans; its databases are small), kept
        # so both databases have the one model.
        Index(
            "ix_strategy_record_search", "search_text",
            postgresql_using="gin", postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
        # Searching by the start of a reference (app/records/listing.py): a year's references
        # in the list's order, with what visibility checks (0015).
        Index("ix_strategy_record_reference_year", text("substr(reference, 1, 7)"), "sort_at",
              "id", postgresql_include=["reference", "team", "led_by", "status"]),
        # The manager's queues (app/worklists/tracker.py), each in its own order, and their
        # counts from the index alone (migration 0013).
        _partial("ix_strategy_record_awaiting", ["sort_at", "id"], ["team", "led_by"],
                 "status = 'finalised'"),
        _partial("ix_strategy_record_returned", ["sort_at", "id"], ["team", "led_by"],
                 "status = 'draft' AND returned_at IS NOT NULL"),
        _partial("ix_strategy_record_edt_review", ["review_due", "id"], ["team"],
                 f"led_by = 'edt' AND {_FINAL} AND reviewed_at IS NULL"),
        _partial("ix_strategy_record_referrer", ["sort_at", "id"], ["team", "led_by"],
                 f"referrer_feedback_due AND {_FINAL}"),
        _partial("ix_strategy_record_drafts", ["sort_at", "id"], ["team", "led_by"],
                 "status = 'draft' AND returned_at IS NULL"),
        # The records whose list row is an amendment being drafted, not their version in
        # force: the only ones a report's figure can count outside its period's days
        # (app/records/listing.py, Among.within; migration 0027).
        _partial("ix_strategy_record_amending", ["sort_at", "id"], ["team", "led_by"],
                 "status = 'draft' AND latest_final_version IS NOT NULL"),
        # Actions and receipts joined to their record's version in force, from the index.
        _partial("ix_strategy_record_in_force", ["id", "latest_final_version"],
                 ["team", "led_by", "reference"], "latest_final_version IS NOT NULL"),
        # Retention (app/retention/rule.py) reads these two ranges, never the documents (0019).
        Index("ix_strategy_record_youngest_born", "youngest_born"),
        Index("ix_strategy_record_updated_at", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=40, unique=True, index=True)
    status: str = Field(default=RecordStatus.DRAFT.value, max_length=20, index=True)
    # The document version: 1 until an amendment makes a new one.
    version: int = Field(default=1)
    # Bumped on every save, so a save from a stale page is refused, never a silent overwrite.
    revision: int = Field(default=1)
    data: dict = Field(
        sa_column=Column(JSON().with_variant(JSONB(), "postgresql"), nullable=False)
    )
    # The social-care team that owns the record (its author's team), for who may see it.
    team: str | None = Field(default=None, max_length=80, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    # Whoever requested the discussion (app/requests), told when the record is sent to them.
    requester_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime
    updated_at: datetime
    finalised_at: datetime | None = None

    # The read model (see the module docstring); derived, never edited directly.
    led_by: str | None = Field(default=None, max_length=20)
    # The discussion's date and time (UK wall-clock, as in the document).
    discussion_at: datetime | None = Field(default=None, sa_column=Column(DateTime()))
    # What the list sorts on: the discussion time, or when the record was started if no
    # discussion time is recorded yet (so undated drafts sort among their peers).
    sort_at: datetime = Field(sa_column=Column(DateTime(), nullable=False))
    outcome: str | None = Field(default=None, max_length=40, index=True)
    children_names: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Lowercased reference and children's names, one per line, for search.
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    blocking_failures: int = Field(default=0)
    warnings: int = Field(default=0)
    next_due: date | None = None
    damaged: bool = Field(default=False, index=True)
    damage_reason: str | None = Field(default=None, sa_column=Column(Text))

    # After the meeting (app/followup keeps these; migration 0006). The newest version that
    # was finalised: partners see that one while an amendment is being drafted.
    latest_final_version: int | None = None
    authorised_at: datetime | None = None
    authorised_by_id: int | None = None
    # Set when a manager returns the record; cleared when it is finalised again.
    returned_at: datetime | None = Field(default=None, index=True)
    # An EDT-led discussion's day-team review: when it is due, and when it was recorded.
    review_due: date | None = Field(default=None, index=True)
    reviewed_at: datetime | None = None
    # The day the review took place, as the reviewer recorded it (on time is by this day).
    reviewed_on: date | None = None
    # The referrer has not been told the outcome (a finalised record with a referrer).
    referrer_feedback_due: bool = Field(default=False, index=True)
    # The day the referrer was told the outcome: in the record, or by follow-up after it.
    referrer_told_on: date | None = None
    # Whether the record first reached its agencies later than SEND_WITHIN_WORKING_DAYS after
    # the discussion (None until it is first sent). Later versions' sending does not change it.
    sent_late: bool | None = None
    # Which projection (app/followup/projection.PROJECTION) last derived these columns: after
    # an upgrade that changes what is derived, older ones are projected again.
    projected_with: int = Field(default=0)
    # For retention: the youngest child's date of birth (an unborn child's expected date of
    # delivery, with a margin), and whether any child has no date at all (or there is no
    # child). Both None until projected (migration 0019).
    youngest_born: date | None = None
    born_unknown: bool | None = None

    @property
    def content(self) -> StrategyRecordData:
        # Validated once per loaded document, not on every access: a page reads it 2-3 times.
        # A new `data` (every save assigns a new dict) is a different object, so it misses.
        cached = getattr(self, "_content_cache", None)
        if cached is not None and cached[0] is self.data:
            return cached[1]
        try:
            content = StrategyRecordData.model_validate(self.data, context={"stored": True})
        except ValidationError as error:
            raise DamagedRecord(self.reference, damage_reason(error)) from None
        object.__setattr__(self, "_content_cache", (self.data, content))
        return content

    @property
    def is_draft(self) -> bool:
        """A draft (a first draft, a correction or an amendment): editable, not yet in force."""
        return self.status == RecordStatus.DRAFT

    @property
    def is_editable(self) -> bool:
        return self.is_draft

    @property
    def is_final(self) -> bool:
        """In force after the discussion (finalised or authorised): follow-up is recorded."""
        return self.status in FINAL_STATUSES

    @property
    def awaits_authorisation(self) -> bool:
        """Finalised, and not yet authorised or returned by a manager."""
        return self.status == RecordStatus.FINALISED


class RecordDistribution(SQLModel, table=True):
    """The organisations the current version is to be sent to, as its document lists them.
    Who may read what was actually sent is the receipts' (app/sending), not this table's."""

    __tablename__ = "record_distribution"

    record_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("strategy_record.id", ondelete="CASCADE"), primary_key=True
        )
    )
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True, index=True)
    # The organisation's kind of agency, as the document holds it.
    agency: str = Field(max_length=40)
