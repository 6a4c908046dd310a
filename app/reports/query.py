"""The report's choices (period, team, who led), as a page's GET form and the API's query."""

from datetime import date, timedelta
from typing import Annotated
from urllib.parse import urlencode

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from app.domain.choices import LedBy
from app.domain.schema import _blank_to_none, uk_now
from app.reports.figures import Scope

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
        today = uk_now().date()
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
