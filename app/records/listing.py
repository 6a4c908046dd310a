"""The record list: one page of the read model, filtered, searched and sorted in the query.

Pages are numbered (offset paging): the list is for people looking at recent records, and
the composite (team|led_by, sort_at, id) indexes keep even deep pages cheap. It reads only
read-model columns, never the documents, in one statement whatever the page size.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy import ColumnElement, select
from sqlmodel import Session

from app.records.choices import LedBy, Outcome, RecordStatus
from app.records.models import StrategyRecord
from app.records.schema import _blank_to_none

PAGE_SIZE = 25
MAX_PAGE = 100_000  # beyond any real list; keeps the offset a sane number


def _text(max_length: int):
    return Annotated[
        Annotated[str, Field(max_length=max_length)] | None, BeforeValidator(_blank_to_none)
    ]


class ListQuery(BaseModel):
    """The list's filters: a GET form's fields, and the JSON list's query parameters."""

    model_config = ConfigDict(extra="ignore")

    q: _text(100) = Field(None, description="Part of a reference or of a child's name")
    status: Annotated[RecordStatus | None, BeforeValidator(_blank_to_none)] = None
    led_by: Annotated[LedBy | None, BeforeValidator(_blank_to_none)] = None
    team: _text(80) = None
    outcome: Annotated[Outcome | None, BeforeValidator(_blank_to_none)] = None
    sort: Literal["newest", "oldest"] = Field("newest", description="By discussion date")
    page: int = Field(1, ge=1, le=MAX_PAGE)

    def link(self, **changes) -> str:
        """The query string for this list with `changes`, leaving out what is unset."""
        values = self.model_dump(mode="json") | changes
        kept = {k: v for k, v in values.items()
                if v not in (None, "") and not (k == "sort" and v == "newest")
                and not (k == "page" and v == 1)}
        return "?" + urlencode(kept) if kept else "?"

    @property
    def filtered(self) -> bool:
        return any((self.q, self.status, self.led_by, self.team, self.outcome))


LISTED = (
    StrategyRecord.id, StrategyRecord.reference, StrategyRecord.status, StrategyRecord.version,
    StrategyRecord.team, StrategyRecord.led_by, StrategyRecord.discussion_at,
    StrategyRecord.outcome, StrategyRecord.children_names, StrategyRecord.blocking_failures,
    StrategyRecord.warnings, StrategyRecord.next_due, StrategyRecord.damaged,
    StrategyRecord.damage_reason,
)


@dataclass(frozen=True)
class ListedRecord:
    id: int
    reference: str
    status: str
    version: int
    team: str | None
    led_by: str | None
    discussion_at: datetime | None
    outcome: str | None
    children_names: list[str]
    blocking_failures: int
    warnings: int
    next_due: date | None
    damaged: bool
    damage_reason: str | None

    @property
    def led_by_choice(self) -> LedBy | str | None:
        return _choice(LedBy, self.led_by)

    @property
    def outcome_choice(self) -> Outcome | str | None:
        return _choice(Outcome, self.outcome)


def _choice(kind, value):
    # A value no longer among the choices (a damaged or old record) is shown as stored.
    return kind(value) if value in kind._value2member_map_ else value


@dataclass(frozen=True)
class Page:
    query: ListQuery
    items: list[ListedRecord]
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.query.page > 1


def list_page(session: Session, visible: ColumnElement[bool], query: ListQuery,
              page_size: int = PAGE_SIZE) -> Page:
    statement = select(*LISTED).where(visible)
    if query.q:
        statement = statement.where(
            StrategyRecord.search_text.contains(query.q.lower(), autoescape=True)
        )
    for name in ("status", "led_by", "team", "outcome"):
        value = getattr(query, name)
        if value is not None:
            statement = statement.where(getattr(StrategyRecord, name) == value)
    if query.sort == "oldest":
        order = (StrategyRecord.sort_at.asc(), StrategyRecord.id.asc())
    else:
        order = (StrategyRecord.sort_at.desc(), StrategyRecord.id.desc())
    # One row more than a page says whether there is a next page without counting them all.
    statement = statement.order_by(*order).offset((query.page - 1) * page_size)
    rows = session.execute(statement.limit(page_size + 1)).all()
    items = [ListedRecord(**row._mapping) for row in rows[:page_size]]
    return Page(query=query, items=items, has_next=len(rows) > page_size)
