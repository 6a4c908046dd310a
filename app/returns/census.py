"""The Children in Need census's Section47 items (the DfE CIN census's Section47 module, as
its 2024 to 2025 validation rules have it; see the README, "Returns"), as its XML elements
and as CSV.

Each item is keyed by the child's LAchildID (here the case-system person ID). The XML is a
fragment of the census message's shape, `Children/Child/(ChildIdentifiers, CINdetails/
Section47)`, one Child element per item, for the returns team to merge into the return their
case system builds; dates are xs:date (YYYY-MM-DD) and ICPCnotRequired is xs:boolean.
"""

from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

CSV_HEADER = ("LAchildID", "S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC",
              "ICPCnotRequired")


def _day(value) -> str:
    return value.isoformat() if value else ""


def csv_row(item) -> tuple:
    return (item.person_id or "", _day(item.start_on), _day(item.icpc_target),
            _day(item.icpc_on), "true" if item.icpc_not_required else "false")


def _element(name: str, value: str) -> str:
    return f"<{name}>{escape(value)}</{name}>" if value else ""


def xml_chunks(items: Iterable, per_chunk: int = 500) -> Iterator[bytes]:
    """The XML as UTF-8 chunks, `per_chunk` items each: never the whole file in memory."""
    yield b'<?xml version="1.0" encoding="UTF-8"?>\n<Children>\n'
    lines: list[str] = []
    for item in items:
        person, start, target, held, not_required = csv_row(item)
        lines.append(
            "<Child><ChildIdentifiers>" + _element("LAchildID", person) + "</ChildIdentifiers>"
            "<CINdetails><Section47>" + _element("S47ActualStartDate", start)
            + _element("InitialCPCtarget", target) + _element("DateOfInitialCPC", held)
            + _element("ICPCnotRequired", not_required)
            + "</Section47></CINdetails></Child>\n")
        if len(lines) == per_chunk:
            yield "".join(lines).encode("utf-8")
            lines = []
    if lines:
        yield "".join(lines).encode("utf-8")
    yield b"</Children>\n"
