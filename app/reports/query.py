"""The report's choices (period, team, who led), as a page's GET form and the API's query."""

from datetime import date, timedelta
from typing import Annotated
from urllib.parse import urlencode

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from app.auth.models import User
from app.clock import uk_today
from app.domain.choices import LedBy
from app.domain.fields import _blank_to_none
from app.reports.disclosure import sees_exact_figures
from app.reports.families import Scope

# A longer period is a different question (and a slower one): a partnership's annual
# comparison needs a few years at most.
MAX_YEARS = 5
# Discussions the service can hold: nothing before it existed, nothing absurdly far ahead.
EARLIEST, LATEST = date(1990, 1, 1), date(2100, 12, 31)

MESSAGES = {
    "from": "Enter the start date as a real date, like 2026-01-31",
    "to": "Enter the end date as a real date, like 2026-12-31",
    "team": "Enter a team name of at most 80 characters",
    "led_by": "Choose day team or EDT from the list",
}


def default_start(today: date) -> date:
    """The first day of the month eleven months back: twelve months, this one included."""
    month = today.month - 11
    year = today.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    start: Annotated[date | None, BeforeValidator(_blank_to_none)] = Field(
        None, alias="from", description="First day of the period (YYYY-MM-DD); default: twelve "
                                         "months ago, from the 1st of the month")
    end: Annotated[date | None, BeforeValidator(_blank_to_none)] = Field(
        None, alias="to", description="Last day of the period (YYYY-MM-DD); default: today")
    team: Annotated[Annotated[str, Field(max_length=80)] | None,
                    BeforeValidator(_blank_to_none)] = None
    led_by: Annotated[LedBy | None, BeforeValidator(_blank_to_none)] = None

    @model_validator(mode="after")
    def _period(self):
        today = uk_today()
        self.end = self.end or today
        self.start = self.start or default_start(self.end)
        for value in (self.start, self.end):
            if not EARLIEST <= value <= LATEST:
                raise ValueError(f"Choose dates from {EARLIEST.year} to {LATEST.year}")
        if self.start > self.end:
            raise ValueError("The start date must be on or before the end date")
        if self.end - self.start > timedelta(days=366 * MAX_YEARS):
            raise ValueError(f"Choose a period of at most {MAX_YEARS} years")
        return self

    def complete_months(self, today: date, *, start_given: bool = True) -> "ReportQuery":
        """The period as the safeguarding partnership's figures cover it: whole months, up to
        the last complete one (default: the twelve complete months before this one). A period
        ending on any day would let two reports a day apart single out that day's records,
        and a month still under way changes as each record is added. Raises ValueError with
        the message if the period holds no complete month yet."""
        last_complete = today.replace(day=1) - timedelta(days=1)
        end = min(_month_end(self.end), last_complete)
        start = self.start.replace(day=1) if start_given else default_start(end)
        if end < start:
            raise ValueError("The partnership's figures are for complete months: choose a "
                             f"period that starts on or before {last_complete.replace(day=1):%-d %B %Y}")
        return self.model_copy(update={"start": start, "end": end})

    def scope(self) -> Scope:
        return Scope(self.start, self.end, self.team,
                     self.led_by.value if self.led_by else None)

    def params(self, **extra) -> str:
        values = {"from": self.start.isoformat(), "to": self.end.isoformat(),
                  "team": self.team, "led_by": self.led_by.value if self.led_by else None,
                  **extra}
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def query_errors(error) -> dict[str, str]:
    """{field: message} from a ReportQuery ValidationError; period problems go on "from"."""
    errors: dict[str, str] = {}
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else "from"
        errors.setdefault(field, MESSAGES.get(field) if problem["loc"]
                          else problem["msg"].removeprefix("Value error, "))
    return errors


def read_query(user: User, values: dict) -> tuple[ReportQuery | None, dict[str, str] | None]:
    """The report's choices as this user may have them, or {field: message}: managers any
    period; the safeguarding partnership whole, complete months (complete_months)."""
    try:
        query = ReportQuery.model_validate(values)
    except ValidationError as error:
        return None, query_errors(error)
    if sees_exact_figures(user):
        return query, None
    try:
        return query.complete_months(uk_today(), start_given=bool(values.get("from"))), None
    except ValueError as error:
        return None, {"from": str(error)}
