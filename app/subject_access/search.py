"""Where a person appears: every record and version a person may see (app/visibility.py) whose
document names them, down to the section and field.

The database narrows the records first: the document's JSON text (the working copy's and every
finalised version's) contains the name, among the records this person may see, a batch at a
time in id order. Only those documents are loaded and walked field by field, matching the
name without regard to case. The JSON text is searched both as written and as JSON escapes
it (SQLite stores "Zoë" as "Zo\\u00eb"), so names beyond ASCII are found on both databases;
there, letters beyond A-Z match case exactly on SQLite.

Only the records' documents are searched: not follow-up notes, requests or the audit log.
"""

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum

from pydantic import BaseModel, ValidationError
from sqlalchemy import Text, cast, exists, func, or_, select
from sqlmodel import Session

from app.auth.models import User
from app.domain.choices import RecordStatus
from app.domain.schema import StrategyRecordData
from app.domain.sections import SECTIONS_BY_SLUG, section_of
from app.followup.models import RecordVersion
from app.records.models import StrategyRecord
from app.visibility import record_filter, sight

MAX_RECORDS = 100  # records in one bundle: beyond this, the search must be narrower
MAX_EXAMINED = 2000  # documents read for one search (a name that is also a common word)
BATCH = 200
PASSAGE = 300  # characters of a passage shown around the name


@dataclass(frozen=True)
class Hit:
    record_id: int
    reference: str
    version: int | None  # None: the working copy (a draft not yet finalised)
    path: tuple
    section: str
    field: str
    passage: str

    @property
    def id(self) -> str:
        """Names the passage in the form (marking it for redaction)."""
        return f"{self.record_id}:{self.version or 0}:{'.'.join(map(str, self.path))}"

    @property
    def version_label(self) -> str:
        return f"Version {self.version}" if self.version else "Working copy (draft)"


@dataclass
class Found:
    hits: list[Hit] = field(default_factory=list)
    too_many: bool = False

    @property
    def places(self) -> list[tuple[int, int | None]]:
        """Each (record, version) the person appears in, in order."""
        return list(dict.fromkeys((h.record_id, h.version) for h in self.hits))

    @property
    def record_count(self) -> int:
        return len({h.record_id for h in self.hits})


def _contains(column, term: str):
    text = func.lower(cast(column, Text))
    escaped = json.dumps(term)[1:-1].lower()
    patterns = {term.lower(), escaped}
    return or_(*(text.contains(p, autoescape=True) for p in patterns))


def _candidates(session: Session, user: User, term: str, after: int) -> list:
    r = StrategyRecord
    in_a_version = exists(select(RecordVersion.id).where(
        RecordVersion.record_id == r.id, _contains(RecordVersion.data, term)))
    return list(session.execute(
        select(r.id, r.reference, r.status, r.data).where(
            record_filter(user), r.id > after, or_(_contains(r.data, term), in_a_version))
        .order_by(r.id).limit(BATCH)))


def search(session: Session, user: User, term: str) -> Found:
    found, after, examined = Found(), 0, 0
    needle = term.casefold()
    while rows := _candidates(session, user, term, after):
        for row in rows:
            examined += 1
            hits = _record_hits(session, user, row, needle)
            if hits and found.record_count >= MAX_RECORDS:
                found.too_many = True
                return found
            found.hits += hits
        after = rows[-1].id
        if examined >= MAX_EXAMINED:
            found.too_many = True
            break
    return found


def _record_hits(session: Session, user: User, row, needle: str) -> list[Hit]:
    seen = sight(session, user, row.id)
    if seen is None:
        return []
    documents: list[tuple[int | None, dict]] = [
        (v.version, v.data) for v in session.execute(select(RecordVersion).where(
            RecordVersion.record_id == row.id, RecordVersion.version.in_(seen.versions))
            .order_by(RecordVersion.version)).scalars()]
    if seen.shown is None and row.status == RecordStatus.DRAFT:  # social care's working copy
        documents.append((None, row.data))
    hits = []
    for version, data in documents:
        try:
            document = StrategyRecordData.model_validate(data, context={"stored": True})
        except ValidationError:
            continue  # a damaged document is listed on its own page, not searched
        hits += [Hit(row.id, row.reference, version, path, *_where(document, path), passage)
                 for path, passage in _matches(document, (), needle)]
    return hits


def _matches(value, path: tuple, needle: str):
    """(path, passage) of every free-text value containing `needle`."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _matches(getattr(value, name), (*path, name), needle)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _matches(item, (*path, index), needle)
    elif isinstance(value, str) and not isinstance(value, Enum | date | datetime):
        at = value.casefold().find(needle)
        if at >= 0:
            yield path, _passage(value, at, len(needle))


def _passage(text: str, at: int, length: int) -> str:
    if len(text) <= PASSAGE:
        return text
    start = max(0, at - (PASSAGE - length) // 2)
    cut = text[start:start + PASSAGE]
    return ("…" if start else "") + cut + ("…" if start + PASSAGE < len(text) else "")


def _where(document: StrategyRecordData, path: tuple) -> tuple[str, str]:
    """The section's title and the field's label, as the form names them."""
    section = SECTIONS_BY_SLUG[section_of(path)].title
    labels, model = [], document
    for part in path:
        if isinstance(part, int):
            labels.append(f"{'Child' if path[0] == 'children' else 'Row'} {part + 1}")
            model = model[part] if isinstance(model, list) and part < len(model) else None
            continue
        info = type(model).model_fields.get(part) if isinstance(model, BaseModel) else None
        labels.append(info.title if info and info.title else part.replace("_", " ").capitalize())
        model = getattr(model, part, None)
    return section, ": ".join(labels[1:] if len(path) > 1 else labels)
