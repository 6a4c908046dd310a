"""Jinja2 templates, with the few helpers every page uses."""

from datetime import UTC
from pathlib import Path

from fastapi.templating import Jinja2Templates

from app.auth import roles
from app.config import get_settings
from app.records import choices
from app.records.display import as_text, summary_rows
from app.records.forms import FormValues, field_title, rows
from app.records.schema import UPDATE_AGENCIES_TEXT, child_title
from app.records.sections import CHILD_FIELDS, EXPERIENCE_FIELDS, SECTIONS, section_of
from app.records.view import record_view
from app.rules.completeness import tally
from app.rules.workdays import within_working_days

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

    def title(self, key: str) -> str:
        return field_title(tuple(key.split("-")))


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
    UPDATE_AGENCIES_TEXT=UPDATE_AGENCIES_TEXT,
    EXPERIENCE_FIELDS=EXPERIENCE_FIELDS,
    CHILD_FIELDS=CHILD_FIELDS,
)
templates.env.filters["text"] = as_text
# Stored UTC times (SQLite hands them back without a zone) shown as UK local time.
templates.env.filters["utc_text"] = lambda value: as_text(
    value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value)
templates.env.filters["agency_label"] = lambda value: as_text(choices.Agency(value)) if value else ""
templates.env.filters["row_count"] = lambda values, field: len(rows(values, field))
