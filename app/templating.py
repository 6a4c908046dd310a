"""Jinja2 templates, with the few helpers every page uses."""

from datetime import date, datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates

from app.auth import roles
from app.clock import uk_date, uk_local, uk_today
from app.config import get_settings
from app.domain import choices
from app.domain.fields import repeated_hour, skipped_hour
from app.domain.schema import UPDATE_AGENCIES_TEXT, child_title
from app.domain.sections import CHILD_FIELDS, EXPERIENCE_FIELDS, SECTIONS, section_of
from app.parsing import FormValues, date_boxes_problem, date_numbers, typed_time
from app.records.display import as_text, summary_rows
from app.records.form_errors import field_title
from app.records.forms import rows
from app.records.view import record_view
from app.rules.completeness import tally
from app.rules.core import cannot_speak, discussion_day
from app.rules.workdays import within_working_days


def _years(n: int) -> str:
    return f"{n} year" if n == 1 else f"{n} years"


templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


class FormView:
    """What a form template needs: the values as typed, the errors, and each field's label."""

    def __init__(self, values: FormValues, errors: dict[str, str] | None = None):
        self.values = values
        self.errors = errors or {}

    def value(self, key: str) -> str:
        value = self.values.get(key, "")
        return value[0] if isinstance(value, list) and value else (value or "")

    def selected(self, key: str) -> list[str]:
        value = self.values.get(key, [])
        return value if isinstance(value, list) else [value]

    def error(self, key: str) -> str | None:
        return self.errors.get(key)

    def date_part_wrong(self, key: str, part: str) -> bool:
        """Whether this box of a date field in error is one at fault: only the time box when
        only the time is wrong; every box when the date as a whole is (it is before another)."""
        if not self.error(key):
            return False
        day, month, year, time = (self.value(f"{key}-{p}").strip()
                                  for p in ("day", "month", "year", "time"))
        found = date_boxes_problem(day, month, year, time)
        if found is None and skipped_hour(_typed_moment(day, month, year, time)):
            return part == "time"  # the date is right: 1am to 2am did not happen that night
        return found is None or part in found[1]

    def asks_clock(self, key: str) -> bool:
        """Whether a date and time's BST-or-GMT question is shown: once its time is in the hour
        the clocks go back (typed, or kept from before the question was asked), or answered."""
        return bool(self.error(f"{key}_clock") or self.value(f"{key}_clock")
                    or repeated_hour(_typed_moment(*(self.value(f"{key}-{p}").strip()
                                                     for p in ("day", "month", "year", "time")))))

    def title(self, key: str) -> str:
        return field_title(tuple(key.split("-")))


def _typed_moment(day: str, month: str, year: str, time: str) -> datetime | None:
    """The UK wall-clock time typed in a date's boxes and its time box, if they read as one."""
    numbers, clock = date_numbers(day, month, year), typed_time(time) if time else None
    if numbers is None or clock is None:
        return None
    try:
        return datetime(numbers[2], numbers[1], numbers[0], *map(int, clock.split(":")))
    except ValueError:
        return None


def error_href(record_id: int, path: tuple) -> str:
    key = "-".join(str(p) for p in path)
    return f"/strategies/{record_id}/sections/{section_of(path)}#{key}"


templates.env.globals.update(
    choices=choices,
    # Templates ask the roles module who may do what; they never compare role names.
    roles=roles,
    SECTIONS=SECTIONS,
    error_href=error_href,
    summary_rows=summary_rows,
    record_view=record_view,
    child_title=child_title,
    tally=tally,
    edt_review_within=lambda: within_working_days(get_settings().edt_review_working_days),
    cannot_speak_under_years=lambda: _years(get_settings().cannot_speak_under_years),
    local_images_policy=lambda: get_settings().local_images_policy,
    person_id_label=lambda: get_settings().person_id_label,
    cannot_speak_now=lambda child, data: cannot_speak(
        child, discussion_day(data) or uk_today(), get_settings()),
    UPDATE_AGENCIES_TEXT=UPDATE_AGENCIES_TEXT,
    EXPERIENCE_FIELDS=EXPERIENCE_FIELDS,
    CHILD_FIELDS=CHILD_FIELDS,
)
templates.env.filters["text"] = as_text


def _identifiers_line(view) -> str:
    """A child's identifiers for the printed record's first page: "Leo: LCS ID 123, NHS number
    943 476 5919", or "" for a child with none."""
    child, nhs = view.child, view.child.nhs_number
    parts = [f"{get_settings().person_id_label} {child.person_id}" if child.person_id else "",
             f"NHS number {nhs[:3]} {nhs[3:6]} {nhs[6:]}" if nhs else "",
             f"UPN {child.upn}" if child.upn else ""]
    parts = [part for part in parts if part]
    return f"{view.title}: {', '.join(parts)}" if parts else ""


templates.env.filters["identifiers_line"] = _identifiers_line
# Stored instants (UTC) shown as UK local time.
templates.env.filters["uk_time"] = lambda moment: as_text(uk_local(moment)) if moment else ""
# A day, short: "3 Nov 2026"; for a stored instant (UTC), the UK day it fell on.
templates.env.filters["short_date"] = lambda day: f"{day:%-d %b %Y}" if day else ""
templates.env.filters["short_datetime"] = lambda moment: f"{moment:%-d %b %Y %H:%M}" if moment else ""
templates.env.filters["uk_day"] = lambda moment: f"{uk_date(moment):%-d %b %Y}" if moment else ""
templates.env.filters["agency_label"] = lambda value: as_text(choices.Agency(value)) if value else ""
templates.env.filters["return_reason_label"] = lambda value: (
    choices.ReturnReason(value).label if value in choices.ReturnReason._value2member_map_ else value)
templates.env.filters["row_count"] = lambda values, field: len(rows(values, field))
# "2026-03" (a report's month) as "March 2026".
templates.env.filters["month_name"] = lambda month: f"{date.fromisoformat(month + '-01'):%B %Y}"
# An average number of days after a discussion, in words: "on the day of the discussion".
templates.env.filters["days_after"] = lambda days: (
    "on the day of the discussion" if days == 0
    else f"{days:g} {'day' if days == 1 else 'days'} after the discussion")
