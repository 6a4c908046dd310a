"""Between HTML forms and the record: flat keys like `participants-0-name` to nested data.

Form values are kept as the strings the user typed (a flat dict), so a page that is
re-shown after an error shows exactly what was typed. Dates are typed as day, month
and year boxes (`header-discussion_at-day`, `-month`, `-year`, plus `-time` for a
date and time) and are joined into ISO text here, before validation.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError

from app.clock import uk_today
from app.config import get_settings
from app.domain.choices import ActionKind, Agency
from app.domain.schema import AgencyPosition, StrategyRecordData, child_title
from app.domain.sections import Section
from app.parsing import (
    NOW_WORD,
    TIME_MESSAGE,
    FormValues,
    date_numbers,
    date_problem,
    typed_time,
    whole_number,
)
from app.records.display import as_text
from app.rules.core import discussion_day
from app.rules.due_dates import update_agencies_due
from app.rules.next_steps import agencies_involved

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
        out[key] = [str(getattr(item, item.FORM_VALUE)) for item in value]
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
        time = parts.get("time", "")
        problem = date_problem(day, month, year) if any((day, month, year)) else None
        if problem:
            problems[key] = problem
        elif time and typed_time(time) is None:
            problems[key] = TIME_MESSAGE
    return problems


# --- facts carried over from other sections -------------------------------------------------


def carried_over(slug: str, data: StrategyRecordData, organisations=()
                 ) -> tuple[FormValues, list[str]] | None:
    """Form values offered, not yet saved, for a section nothing was recorded in yet, from
    what other sections hold; with the agencies' names for the page to say so. None when
    there is nothing to offer (or the section already holds something). `organisations` are
    the directory's active ones, for the distribution."""
    if slug == "agency-positions" and not data.agency_positions:
        named = list(dict.fromkeys(p.agency for p in data.participants if p.agency))
        rows_ = [values_from(AgencyPosition(agency=agency), "x") for agency in named]
        values = with_rows({}, "agency_positions",
                           [{k.removeprefix("x-"): v for k, v in row.items()} for row in rows_])
    elif slug == "distribution" and not data.distribution:
        offered = offered_recipients(data, organisations)
        values = {"distribution": [str(o.id) for o in offered]}
        return (values, [o.name for o in offered]) if offered else None
    else:
        return None
    return (values, [agency.label for agency in named]) if named else None


def offered_recipients(data: StrategyRecordData, organisations) -> list:
    """The organisations to tick for a record's distribution: for each agency involved, the
    organisation its participant or position named, or the only one of that kind."""
    involved = agencies_involved(data)
    named = {row.organisation_id for row in (*data.participants, *data.agency_positions)
             if row.organisation_id}
    by_agency: dict[str, list] = {}
    for organisation in organisations:
        by_agency.setdefault(organisation.agency, []).append(organisation)
    offered = []
    for agency in Agency:
        if agency not in involved:
            continue
        kind = by_agency.get(agency.value, [])
        chosen = [o for o in kind if o.id in named] or (kind if len(kind) == 1 else [])
        offered += chosen
    return offered


def offered_update_date(data: StrategyRecordData) -> date:
    """The date offered for the update-all-agencies action: the local number of working days
    after the discussion (or after today, before the discussion's date is known)."""
    return update_agencies_due(discussion_day(data) or uk_today(), get_settings())


def with_offered_dates(slug: str, data: StrategyRecordData, values: FormValues) -> FormValues:
    """The form values with the update-all-agencies date filled in where it is empty, so the
    user sees a date they can change rather than only an error later. Not saved until they save."""
    if slug != "actions":
        return values
    for index, row in enumerate(rows(values, "actions")):
        if row.get("kind") == ActionKind.UPDATE_AGENCIES.value and not row.get("due_date-day"):
            key = f"actions-{index}-due_date"
            return values | values_from(offered_update_date(data), key)
    return values


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
        value = TypeAdapter(validated).validate_python(posted)
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


# --- readable errors -------------------------------------------------------------------------


def error_messages(error: ValidationError, prefix: tuple = ()) -> dict[str, str]:
    messages: dict[str, str] = {}
    for detail in error.errors():
        loc = (*prefix, *[part for part in detail["loc"] if not _is_type_tag(part)])
        key = "-".join(str(part) for part in loc)
        messages.setdefault(key, plain_message(detail, field_title(loc)))
    return messages


def _is_type_tag(part) -> bool:
    # Pydantic adds tags like "function-after[...]" for validators inside unions.
    return isinstance(part, str) and ("[" in part or part in ("str", "int", "date", "datetime"))


def plain_message(detail: dict, title: str) -> str:
    kind, message, ctx = detail["type"], detail["msg"], detail.get("ctx") or {}
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
        if "email address" in message:
            return f"Enter {title.lower()} in the correct format, like name@example.com"
        return f"{title} {message}" if message[:1].islower() else message
    if kind == "string_too_long":
        return f"{title} must be {ctx.get('max_length')} characters or fewer"
    if kind == "too_long":
        return f"{title}: there can be at most {ctx.get('max_length')}"
    if kind in ("enum", "literal_error"):
        return f"Select {title.lower()} from the list"
    if kind.startswith("datetime") or (kind.startswith("date") and "time" in title.lower()):
        return f"{title} must be a real date and time, like 27 3 2026 and 14:30"
    if kind.startswith("date"):
        return f"{title} must be a real date, like 27 3 2026"
    if kind.startswith("int"):
        return f"{title} must be a whole number, like 24"
    if kind.startswith("bool"):
        return f"{title}: select yes or no"
    if kind == "extra_forbidden":
        return f"{title} is not part of the record"
    return f"{title}: {message}"


def field_title(loc: tuple) -> str:
    """The label people read for a field path, taken from the schema's titles."""
    model: Any = StrategyRecordData
    title = "This field"
    for part in loc:
        if isinstance(part, int) or whole_number(part) is not None:
            continue
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            break
        info = fields[part]
        title = info.title or part.replace("_", " ").capitalize()
        model = inner_model(info.annotation)
    return title


def inner_model(annotation):
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = inner_model(arg)
        if found is not None:
            return found
    return None


# --- two versions of one section: what someone typed and what is stored now ------------------
#
# A save from a page opened before someone else saved the same section is never applied as it
# stands: the page shows both versions of each field that differs and the person chooses.
# The unit compared is a flat form key (a date's day, month, year and time boxes together).


def section_fingerprint(section: Section, data: StrategyRecordData) -> str:
    """A short digest of a section as stored: the page carries the one it was opened at, so a
    save can tell whether anyone changed this section since (not merely the record)."""
    values = values_from(getattr(data, section.field), section.field)
    canonical = json.dumps(sorted((k, v) for k, v in values.items()), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


# Hidden fields of a row: they follow the row, they are not shown or chosen on their own.
_ROW_HIDDEN = frozenset({"key", "kind"})
NOT_FILLED_IN = "Not filled in"


@dataclass(frozen=True)
class Difference:
    key: str  # the unit's form key (for a date, the key of its boxes without -day, -time...)
    title: str
    mine: str
    theirs: str


def _unit(key: str) -> str:
    base, _, part = key.rpartition("-")
    return base if base and part in DATE_PARTS else key


def _is_date_unit(values: FormValues, unit: str) -> bool:
    return any(f"{unit}-{part}" in values for part in DATE_PARTS)


def _on_page(section: Section, key: str) -> bool:
    """Whether the section's page shows this key as a field a person fills in."""
    if key != section.field and not key.startswith(section.field + "-"):
        return False
    parts = key.split("-")
    if is_list_section(section) and len(parts) > 2 and _INDEX.match(parts[1]):
        name = parts[2]
        if name in _ROW_HIDDEN:
            return False
        if section.item_fields is not None and name not in section.item_fields:
            return False
    return True


def _comparable(values: FormValues, unit: str):
    if _is_date_unit(values, unit):
        parts = {p: str(values[f"{unit}-{p}"]) for p in DATE_PARTS if f"{unit}-{p}" in values}
        return _join_date(parts)
    value = values.get(unit)
    items = value if isinstance(value, list) else [value]
    found = tuple(sorted(s for s in (str(v).replace("\r\n", "\n").strip() for v in items
                                     if v is not None) if s))
    return found or None  # nothing typed compares equal however it was posted


def _leaf(loc: tuple):
    """The annotation of the schema field at a form key's path (None if it is not one)."""
    model: Any = StrategyRecordData
    annotation = None
    for part in loc:
        if whole_number(part) is not None:
            continue
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        annotation = fields[part].annotation
        model = inner_model(annotation)
    return annotation


def _enum_of(annotation):
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation
    for arg in get_args(annotation):
        found = _enum_of(arg)
        if found is not None:
            return found
    return None


def _shown(values: FormValues, unit: str) -> str:
    """One version of a field as people read it: labels for choices, dates written out."""
    if _is_date_unit(values, unit):
        parts = {p: str(values.get(f"{unit}-{p}", "")).strip() for p in DATE_PARTS}
        joined = _join_date({p: v for p, v in parts.items() if f"{unit}-{p}" in values})
        if joined is None:
            return NOT_FILLED_IN
        try:
            return as_text(datetime.fromisoformat(joined) if "T" in joined
                           else date.fromisoformat(joined))
        except ValueError:
            typed = " ".join(parts[p] for p in ("day", "month", "year") if parts[p])
            return f"{typed} {parts['time']}".strip()
    items = _comparable(values, unit)
    if items is None:
        return NOT_FILLED_IN
    annotation = _leaf(tuple(unit.split("-")))
    enum, kind = _enum_of(annotation), _scalar_kind(annotation)
    texts = []
    for item in items:
        if enum is not None and item in {member.value for member in enum}:
            texts.append(as_text(enum(item)))
        elif kind is bool:
            texts.append(as_text(_YES_NO.get(item.lower(), item)))
        else:
            texts.append(item)
    return ", ".join(texts)


def field_label(section: Section, key: str, mine: FormValues,
                theirs: FormValues | None = None) -> str:
    """A field's label as a person reads it, naming its row: "Name (participant 2)"."""
    theirs = theirs or {}
    parts = key.split("-")
    title = field_title(tuple(parts))
    if is_list_section(section) and len(parts) > 2 and _INDEX.match(parts[1]):
        index = int(parts[1])
        if section.field == "children":
            name_key = f"children-{index}-name"
            name = str(theirs.get(name_key) or mine.get(name_key) or "").strip()
            return f"{title} ({child_title(name, index)})"
        item = inner_model(StrategyRecordData.model_fields[section.field].annotation)
        noun = re.sub(r"(?<!^)([A-Z])", r" \1", item.__name__).lower()
        return f"{title} ({noun} {index + 1})"
    return title


def differences(section: Section, mine: FormValues, theirs: FormValues) -> list[Difference]:
    """Each field of the page whose typed value differs from the stored one, in form order."""
    units = dict.fromkeys(_unit(key) for key in [*mine, *theirs] if _on_page(section, key))
    return [
        Difference(unit, field_label(section, unit, mine, theirs),
                   _shown(mine, unit), _shown(theirs, unit))
        for unit in units
        if _comparable(mine, unit) != _comparable(theirs, unit)
    ]


def resolved(section: Section, mine: FormValues, theirs: FormValues,
             kept: dict[str, str]) -> FormValues:
    """What was typed, with each field kept as 'theirs' taken from the stored version. A row
    whose every differing field is kept as theirs is their row (its key and kind too)."""
    out = dict(mine)
    for unit, pick in kept.items():
        if pick != "theirs":
            continue
        for key in [key for key in out if _unit(key) == unit]:
            del out[key]
        out.update({key: value for key, value in theirs.items() if _unit(key) == unit})
    rows_kept: dict[str, bool] = {}
    for unit, pick in kept.items():
        parts = unit.split("-")
        if is_list_section(section) and len(parts) > 2 and _INDEX.match(parts[1]):
            row = "-".join(parts[:2])
            rows_kept[row] = rows_kept.get(row, True) and pick == "theirs"
    for row, theirs_whole in rows_kept.items():
        if theirs_whole:
            for name in _ROW_HIDDEN:
                out.pop(f"{row}-{name}", None)
                if f"{row}-{name}" in theirs:
                    out[f"{row}-{name}"] = theirs[f"{row}-{name}"]
    return out
