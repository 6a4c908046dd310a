"""Between HTML forms and the record: flat keys like `participants-0-name` to nested data.

Form values are kept as the strings the user typed (a flat dict), so a page that is
re-shown after an error shows exactly what was typed. Dates are typed as day, month
and year boxes (`header-discussion_at-day`, `-month`, `-year`, plus `-time` for a
date and time) and are joined into ISO text here, before validation.
"""

import re
from datetime import date, datetime
from typing import Annotated, Any, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError

from app.domain.schema import StrategyRecordData
from app.domain.sections import Section
from app.parsing import (
    NOW_WORD,
    FormValues,
    date_boxes_problem,
    date_numbers,
    typed_time,
    whole_number,
)
from app.records.form_errors import error_messages, field_title, inner_model

DATE_PARTS = ("day", "month", "year", "time")
_INDEX = re.compile(r"^\d+$")


# --- from the record to form values --------------------------------------------------


def values_from(data: Any, prefix: str) -> FormValues:
    """Flat form values for one section's stored value (a model, or a list of models)."""
    values: FormValues = {}
    _flatten(data, prefix, values)
    return values


def _flatten(value: Any, key: str, out: FormValues) -> None:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _flatten(getattr(value, name), f"{key}-{name}", out)
    elif isinstance(value, list) and value and hasattr(value[0], "FORM_VALUE"):
        # Items a form shows as ticked boxes (the recipients): one value each.
        out[key] = [ticked for item in value for ticked in item.form_values()]
    elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
        for index, item in enumerate(value):
            _flatten(item, f"{key}-{index}", out)
    elif isinstance(value, list):
        out[key] = [str(v) for v in value]
    elif isinstance(value, datetime):
        out.update({f"{key}-day": str(value.day), f"{key}-month": str(value.month),
                    f"{key}-year": str(value.year), f"{key}-time": f"{value:%H:%M}"})
    elif isinstance(value, date):
        out.update({f"{key}-day": str(value.day), f"{key}-month": str(value.month),
                    f"{key}-year": str(value.year)})
    elif isinstance(value, bool):
        if value:
            out[key] = "true"
    elif value is not None:
        out[key] = str(value)


# --- rows: add and remove without losing anything typed --------------------------------


def rows(values: FormValues, prefix: str) -> list[FormValues]:
    """The rows of a list section, each as {sub-key: value}, in index order."""
    found: dict[int, FormValues] = {}
    for key, value in values.items():
        if not key.startswith(prefix + "-"):
            continue
        index, _, rest = key[len(prefix) + 1:].partition("-")
        if _INDEX.match(index) and rest:
            found.setdefault(int(index), {})[rest] = value
    return [found[i] for i in sorted(found)]


def with_rows(values: FormValues, prefix: str, new_rows: list[FormValues]) -> FormValues:
    kept = {k: v for k, v in values.items() if not k.startswith(prefix + "-")}
    for index, row in enumerate(new_rows):
        kept.update({f"{prefix}-{index}-{sub}": value for sub, value in row.items()})
    return kept


# --- from form values to nested data ---------------------------------------------------


def nested(values: FormValues, prefix: str) -> Any:
    """The nested value under `prefix` (dicts and lists), with date parts joined."""
    tree: dict = {}
    for key, value in values.items():
        if key == prefix or key.startswith(prefix + "-"):
            _place(tree, key.split("-"), value)
    return _finish(tree).get(prefix) if tree else None


def _place(tree: dict, parts: list[str], value) -> None:
    if not parts:
        tree["__value__"] = value
        return
    node = tree
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            return  # a key both holds a value and has keys below it: a forged post, dropped
    node[parts[-1]] = value


def _finish(node):
    if not isinstance(node, dict):
        return node
    if "__value__" in node:
        return node["__value__"]
    if node and all(_INDEX.match(k) for k in node):
        return [_finish(node[k]) for k in sorted(node, key=int)]
    if node and set(node) <= set(DATE_PARTS) and ("day" in node or "year" in node):
        return _join_date(node)
    return {k: _finish(v) for k, v in node.items()}


def _join_date(parts: dict) -> str | None:
    """ISO text for the date (and time) boxes, or the text as typed for validation to refuse."""
    day, month, year = (str(parts.get(p, "")).strip() for p in ("day", "month", "year"))
    time = str(parts.get("time", "")).strip()
    if not any((day, month, year, time)):
        return None
    if not any((day, month, year)) and time.lower() == NOW_WORD:
        day = "today"  # "now" in the time box alone: this minute today
    numbers = date_numbers(day, month, year)
    if numbers is None:
        # Passed on as typed, so validation refuses it (date_problems says how to type it).
        return f"{day}/{month}/{year} {time}".strip()
    iso = "{2:04d}-{1:02d}-{0:02d}".format(*numbers)
    if "time" not in parts:
        return iso
    if not time and day.lower() == "now":
        time = "now"  # "now" in the day box of a date and time: this minute, too
    clock = typed_time(time)
    return f"{iso}T{clock or time or 'no time'}"


def date_problems(values: FormValues, prefix: str) -> dict[str, str]:
    """A message saying how to type it for each date or time under `prefix` that does not read
    as one, by the date's form key (validation's own message, "must be a real date", stays
    for dates that read but do not exist, like 31 2 2026)."""
    grouped: dict[str, dict[str, str]] = {}
    for key, value in values.items():
        base, _, part = key.rpartition("-")
        if part in DATE_PARTS and (base == prefix or base.startswith(prefix + "-")):
            grouped.setdefault(base, {})[part] = str(value).strip()
    problems = {}
    for key, parts in grouped.items():
        day, month, year = (parts.get(p, "") for p in ("day", "month", "year"))
        found = date_boxes_problem(day, month, year, parts.get("time", ""))
        if found:
            # Named, so two date fields wrong the same way are two different lines.
            message = found[0]
            problems[key] = f"{field_title(tuple(key.split('-')))}: {message[0].lower()}{message[1:]}"
    return problems


# --- parse one section's form into the record --------------------------------------------


def parse_section(
    section: Section, values: FormValues, current: StrategyRecordData
) -> tuple[StrategyRecordData | None, dict[str, str]]:
    """The record with this section replaced by what was posted, or the errors by form key."""
    posted = _section_raw(section, values)
    if section.rows_editable:
        # A row added and left empty is dropped rather than saved as a blank person or action.
        posted = [row for row in posted if not _is_blank(row)]
    if section.item_fields is not None:
        posted = _merge_items(section, posted, getattr(current, section.field))
    field = StrategyRecordData.model_fields[section.field]
    annotation = field.annotation
    posted = typed_text(inner_model(annotation), posted)
    try:
        # With the field's own validators (the recipients' ids a form posts as text).
        validated = Annotated[(annotation, *field.metadata)] if field.metadata else annotation
        # A page that edits some of each item's fields asks only of those (fields.times_asked).
        owned = {"owned": frozenset(section.item_fields)} if section.item_fields is not None else None
        value = TypeAdapter(validated).validate_python(posted, context=owned)
        whole = current.model_copy(update={section.field: value}).model_dump()
        data = StrategyRecordData.model_validate(whole, context={"stored": True})
    except ValidationError as error:
        messages = error_messages(error, prefix=(section.field,))
        # Where a date or time did not read as one, say how to type it.
        return None, messages | date_problems(values, section.field)
    return data, {}


_YES_NO = {"true": True, "on": True, "yes": True, "1": True,
           "false": False, "off": False, "no": False, "0": False, "": False}


def typed_text(model, raw):
    """Typed text turned into the numbers and yes/no values the schema takes strictly.

    The schema refuses "24" or "true" (JSON clients must send 24 and true); a form only
    ever posts text, so it is converted here. Text that is not a whole number or a yes/no
    is left as typed, for validation to refuse with a clear message.
    """
    if isinstance(raw, list):
        return [typed_text(model, item) for item in raw]
    if model is None or not isinstance(raw, dict):
        return raw
    converted = dict(raw)
    for name, info in model.model_fields.items():
        if name not in raw:
            continue
        value, kind = raw[name], _scalar_kind(info.annotation)
        if kind is bool and isinstance(value, str):
            converted[name] = _YES_NO.get(value.strip().lower(), value)
        elif kind is int and isinstance(value, str):
            number = whole_number(value.strip())
            converted[name] = None if not value.strip() else value if number is None else number
        elif isinstance(value, (dict, list)):
            converted[name] = typed_text(inner_model(info.annotation), value)
    return converted


def _scalar_kind(annotation):
    if annotation in (int, bool):
        return annotation
    for arg in get_args(annotation):
        found = _scalar_kind(arg)
        if found is not None:
            return found
    return None


# Fields a new row already holds before anyone types: they do not make a row "filled in".
_ROW_DEFAULTS = frozenset({"key", "kind", "status"})


def _is_blank(row) -> bool:
    if not isinstance(row, dict):
        return False
    return all(value in (None, "", []) for name, value in row.items() if name not in _ROW_DEFAULTS)


def _section_raw(section: Section, values: FormValues):
    tree = nested(values, section.field)
    if is_list_section(section):
        # A lone scalar (one checkbox ticked) or a list of scalars or of row dicts.
        if tree is None:
            return []
        return tree if isinstance(tree, list) else [tree]
    return tree if isinstance(tree, dict) else {}


def is_list_section(section: Section) -> bool:
    return isinstance(StrategyRecordData.model_fields[section.field].default, list)


def _merge_items(section: Section, posted: list, existing: list) -> list:
    """Each posted row over the stored item with the same key, for the fields this page owns."""
    owned = set(section.item_fields) - {"key"}
    stored = {item.key: item.model_dump() for item in existing}
    rows = [row for row in posted if isinstance(row, dict)]

    def merge(row: dict, item: dict) -> dict:
        kept = {k: v for k, v in item.items() if k not in owned}
        # Fields this page owns come only from the form: an unticked box is simply absent.
        return {**kept, **{k: v for k, v in row.items() if k in owned},
                "key": row.get("key") or item.get("key")}

    if section.rows_editable:
        return [merge(row, stored.get(row.get("key"), {})) for row in rows]
    # A page that edits part of each child (the experience page) keeps the children, and
    # their order, as stored: a row it was not shown is ignored, a row it did not post kept.
    posted_by_key = {row.get("key"): row for row in rows}
    return [merge(posted_by_key[key], item) if key in posted_by_key else item
            for key, item in stored.items()]
