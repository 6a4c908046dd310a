"""Two versions of one section: what someone typed and what is stored now.

A save from a page opened before someone else saved the same section is never applied as it
stands: the page shows both versions of each field that differs and the person chooses.
The unit compared is a flat form key (a date's day, month, year and time boxes together)."""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, get_args

from app.domain.schema import StrategyRecordData, child_title
from app.domain.sections import Section
from app.parsing import FormValues, whole_number
from app.records.display import as_text
from app.records.form_errors import field_title, inner_model
from app.records.forms import _INDEX, _YES_NO, DATE_PARTS, _join_date, _scalar_kind, is_list_section, values_from


def section_fingerprint(section: Section, data: StrategyRecordData) -> str:
    """A short digest of a section as stored: the page carries the one it was opened at, so a
    save can tell whether anyone changed this section since (not merely the record)."""
    return values_fingerprint(values_from(getattr(data, section.field), section.field))


def values_fingerprint(values: FormValues) -> str:
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


def one_sided(section: Section, mine: FormValues, theirs: FormValues,
              opened: FormValues | None) -> dict[str, str]:
    """The fields that differ but only one side changed since the page was opened (`opened`:
    the section as it was then), each with the side that changed it ("mine" or "theirs"): no
    one need be asked about those. A field both changed is left out, for the person to choose."""
    if opened is None:
        return {}
    decided = {}
    for difference in differences(section, mine, theirs):
        was = _comparable(opened, difference.key)
        if was == _comparable(theirs, difference.key):
            decided[difference.key] = "mine"
        elif was == _comparable(mine, difference.key):
            decided[difference.key] = "theirs"
    return decided


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
