"""What one child's copy of a record may say: which children a text names, and whether a detail
given as another child's ("As Leo", "as above") can be repeated in this child's copy.

Shared by the rules (which warn the author) and the record view (which prints the copy), so the
warning and the printed copy always agree.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from app.domain.child_parts import SHARED_PASSAGES
from app.domain.schema import Child, StrategyRecordData

# "As Jayden", "Same as Jayden Smith", "See Child 1", "as above": a child's detail given by
# reference to another child, with anything added after a comma or semicolon.
_REFERENCE = re.compile(r"^\s*(?:the\s+)?(?:same\s+as|as\s+for|as\s+per|as|see)\s+"
                        r"(?P<who>[^,;.]+?)(?:'s)?\s*(?:[.]\s*)?(?:[,;]\s*(?P<rest>.*))?$",
                        re.IGNORECASE | re.DOTALL)
_ABOVE = ("above", "previous child", "child above", "sibling above")
# Words that describe a child's family from where that child stands ("two younger siblings",
# "her big sister"): true of the child they were written about, false of any other.
_RELATIVE = re.compile(
    r"\b(?:younger|older|elder|eldest|oldest|youngest|middle|twins?|siblings?|brothers?|"
    r"sisters?|half-?(?:brother|sister|sibling)s?|step-?(?:brother|sister|sibling)s?)\b",
    re.IGNORECASE)
# First words that are not a name ("Unborn baby of Kim Doe").
_NOT_NAMES = {"unborn", "baby", "child", "the", "a", "an", "mr", "mrs", "ms", "miss"}

NOT_IN_COPY = "Not recorded"
# Why another child's words cannot stand for this child's, worded to be printed in this
# child's copy: they name no one.
NAMES_THIS_CHILD = "that child's entry names this child"
FROM_THEIR_PLACE = "that child's entry tells of the family from that child's place in it"


def _names(child: Child) -> set[str]:
    """The words a text would name this child by: their full name and their first name."""
    if not child.name:
        return set()
    names = {" ".join(child.name.split())}
    first = child.name.split()[0]
    if len(first) > 1 and first.lower() not in _NOT_NAMES:
        names.add(first)
    return names


def names_found(text: str | None, children: list[Child]) -> list[str]:
    """The names of `children` that `text` mentions, each child once, in the record's order."""
    found = []
    for child in children:
        for name in sorted(_names(child), key=len, reverse=True):
            # As written, capital and all: a child called May or Will is not every "may".
            if text and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text):
                found.append(name)
                break
    return found


def others(data: StrategyRecordData, child: Child) -> list[Child]:
    return [c for c in data.children if c.key != child.key]


def passage_for(data: StrategyRecordData, child_key: str, part: str, field: str) -> str | None:
    """The text a child's own copy prints for a shared passage: written for them, or shared."""
    own = next((p.text for p in data.child_passages
                if p.child_key == child_key and p.passage == f"{part}.{field}" and p.text), None)
    return own if own is not None else getattr(getattr(data, part), field)


def shared_naming_others(data: StrategyRecordData
                          ) -> Iterator[tuple[Child, str, str, list[str]]]:
    """(child, part, field, names): a shared passage that names another child of the record,
    as it would print in this child's own copy (not yet written for them)."""
    if len(data.children) < 2:
        return
    for part, field in SHARED_PASSAGES:
        for child in data.children:
            names = names_found(passage_for(data, child.key, part, field), others(data, child))
            if names:
                yield child, part, field, names


def _referred(text: str, data: StrategyRecordData, index: int) -> tuple[int, str] | None:
    """(the other child's place, anything added) if `text` gives this detail as another child's."""
    match = _REFERENCE.match(text)
    if not match:
        return None
    who = " ".join(match.group("who").lower().split())
    for other, child in enumerate(data.children):
        if other == index:
            continue
        names = {data.child_title(child).lower(), f"child {other + 1}"}
        if child.name:
            names.add(child.name.split()[0].lower())
        if who in names or (who in _ABOVE and other == index - 1):
            return other, (match.group("rest") or "").strip()
    return None


@dataclass(frozen=True)
class Substitution:
    text: str  # what this child's copy prints
    # Why the other child's words cannot stand for this child's (the copy then prints the
    # author's words as written, with this warning); None if they can.
    unsafe: str | None = None


def substituted(data: StrategyRecordData, index: int, field: str) -> Substitution | None:
    """This child's `field`, with a detail given as another child's replaced by that child's
    words where that is safe; None if the detail is not given by reference."""
    child = data.children[index]
    written = getattr(child, field)
    if not isinstance(written, str):
        return None
    place: int = index
    text: str | None = written
    added: list[str] = []
    seen = {index}
    while text is not None and (found := _referred(text, data, place)) is not None:
        place, rest = found
        if place in seen:
            text = None  # children given as each other's: nothing to repeat
            break
        seen.add(place)
        added.insert(0, rest)
        other = getattr(data.children[place], field)
        text = other if isinstance(other, str) else None
        if text and _referred(text, data, place) is None:
            # Copied into this child's copy, the other child's words would list this child
            # as their own sibling, or tell a family from the other child's place in it.
            if names_found(text, [child]):
                return Substitution(written, NAMES_THIS_CHILD)
            if _RELATIVE.search(text):
                return Substitution(written, FROM_THEIR_PLACE)
    if len(seen) == 1:
        return None
    return Substitution("; ".join(part for part in (text or NOT_IN_COPY, *added) if part))


def unsafe_substitutions(data: StrategyRecordData) -> Iterator[tuple[int, str, str]]:
    """(index, field, reason) for each detail given as another child's that cannot be repeated."""
    for index, child in enumerate(data.children):
        for field, value in child:
            if field in ("key", "name") or not isinstance(value, str):
                continue
            found = substituted(data, index, field)
            if found and found.unsafe:
                yield index, field, found.unsafe
