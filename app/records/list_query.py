"""What a page of the record list is asked for: its filters, its order, and a position in
it (a cursor: the sort time and id of a row), as a GET form's fields or the JSON list's
query parameters; and the columns a row of it shows."""

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlencode

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from sqlalchemy import select

from app.auth.models import User
from app.domain.choices import LedBy, Outcome, RecordStatus
from app.domain.fields import _blank_to_none
from app.records.models import StrategyRecord

CURSOR_SEPARATOR = "~"

LISTED = (
    StrategyRecord.id, StrategyRecord.reference, StrategyRecord.status, StrategyRecord.version,
    StrategyRecord.team, StrategyRecord.led_by, StrategyRecord.discussion_at,
    StrategyRecord.outcome, StrategyRecord.children_names, StrategyRecord.blocking_failures,
    StrategyRecord.warnings, StrategyRecord.next_due, StrategyRecord.damaged,
    StrategyRecord.damage_reason, StrategyRecord.sort_at, StrategyRecord.returned_at,
    StrategyRecord.finalised_at, StrategyRecord.review_due, StrategyRecord.reviewed_at,
    StrategyRecord.referrer_feedback_due,
    # Who started the record, joined on the user's primary key (still one statement).
    User.display_name.label("owner"),
)
LISTED_FROM = select(*LISTED).outerjoin(User, User.id == StrategyRecord.created_by_id)


def cursor_of(sort_at: datetime, record_id: int) -> str:
    """A position in the list: a row's sort time and id, readable in an address."""
    return f"{sort_at.isoformat()}{CURSOR_SEPARATOR}{record_id}"


def parse_cursor(value: str) -> tuple[datetime, int]:
    moment, _, record_id = value.partition(CURSOR_SEPARATOR)
    try:
        parsed = datetime.fromisoformat(moment), int(record_id)
    except ValueError:
        raise ValueError("Not a position in this list: use its Next and Previous links") from None
    if parsed[0].tzinfo is not None or not 0 < parsed[1] < 2**31:
        raise ValueError("Not a position in this list: use its Next and Previous links")
    return parsed


Cursor = Annotated[
    Annotated[str, Field(max_length=60), AfterValidator(lambda v: parse_cursor(v) and v)] | None,
    BeforeValidator(_blank_to_none),
]


def _text(max_length: int):
    return Annotated[
        Annotated[str, Field(max_length=max_length)] | None, BeforeValidator(_blank_to_none)
    ]


class ListQuery(BaseModel):
    """The list's filters: a GET form's fields, and the JSON list's query parameters."""

    model_config = ConfigDict(extra="ignore")

    q: _text(100) = Field(None, description=(
        "Part of a child's name or of a reference, or a child's case-system person ID, NHS "
        "number or UPN (exactly); the start of a reference (SR-2024) finds the references "
        "that begin with it"))
    status: Annotated[RecordStatus | None, BeforeValidator(_blank_to_none)] = None
    led_by: Annotated[LedBy | None, BeforeValidator(_blank_to_none)] = None
    team: _text(80) = None
    outcome: Annotated[Outcome | None, BeforeValidator(_blank_to_none)] = None
    sort: Literal["newest", "oldest"] = Field("newest", description="By discussion date")
    after: Cursor = Field(None, description="The page after this position (a next_cursor)")
    before: Cursor = Field(None, description="The page before this position (a previous_cursor)")

    @field_validator("before")
    @classmethod
    def _one_direction(cls, before, info: ValidationInfo):
        if before and info.data.get("after"):
            raise ValueError("Give after or before, not both")
        return before

    def link(self, **changes) -> str:
        """The query string for this list with `changes`, leaving out what is unset."""
        values = self.model_dump(mode="json") | {"after": None, "before": None} | changes
        kept = {k: v for k, v in values.items()
                if v not in (None, "") and not (k == "sort" and v == "newest")}
        return "?" + urlencode(kept) if kept else "?"

    @property
    def filtered(self) -> bool:
        return any((self.q, self.status, self.led_by, self.team, self.outcome))
