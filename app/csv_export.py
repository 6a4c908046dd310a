"""CSV files people open in a spreadsheet: the record list's export, and the reports'.

- UTF-8 **with a byte-order mark**. Excel reads a CSV file without one in the computer's
  legacy code page, so "Zoë" or "Siân" come out garbled; with the BOM it reads UTF-8. Other
  programs skip it, and Python reads it back with `open(..., encoding="utf-8-sig")` (or
  `bytes.decode("utf-8-sig")`), which drops it.
- A header row, then one row per item; lines end in CRLF (RFC 4180); cells holding commas,
  quotes or line breaks are quoted by the csv module.
- Dates and times in ISO 8601 (`2026-11-03`, `2026-11-03T14:05:00`, with the offset when the
  value has one); True/False as `yes`/`no`; nothing (None) as an empty cell.
- No formula injection (OWASP "CSV Injection"): a text cell starting with `=`, `+`, `-`, `@`,
  a tab or a carriage return would run as a formula in a spreadsheet, so it is prefixed with a
  single quote (`'=HYPERLINK(...)` shows as text). Numbers are written as numbers.

`csv_response` streams the rows as they come, so a long export never sits in memory whole.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum

from fastapi.responses import StreamingResponse

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MEDIA_TYPE = "text/csv; charset=utf-8"
# How many rows go into each chunk of a streamed response.
ROWS_PER_CHUNK = 500


def escape_formula(text: str) -> str:
    """`text`, made inert if a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value) -> str | int | float:
    """One value as a CSV cell (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return escape_formula(str(value))


class _Lines:
    """A csv writer's target that hands back what was written since the last call."""

    def __init__(self):
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def write(self, row: Iterable) -> None:
        self.writer.writerow([cell(value) for value in row])

    def take(self) -> str:
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text


def csv_chunks(header: Sequence[str], rows: Iterable[Iterable],
               rows_per_chunk: int = ROWS_PER_CHUNK) -> Iterator[bytes]:
    """The file as UTF-8 chunks: the BOM and header first, then `rows_per_chunk` rows each.
    `rows` is read lazily, one chunk ahead at most."""
    lines = _Lines()
    lines.write(header)
    yield (BOM + lines.take()).encode("utf-8")
    waiting = 0
    for row in rows:
        lines.write(row)
        waiting += 1
        if waiting == rows_per_chunk:
            yield lines.take().encode("utf-8")
            waiting = 0
    if waiting:
        yield lines.take().encode("utf-8")


def csv_bytes(header: Sequence[str], rows: Iterable[Iterable]) -> bytes:
    """The whole file at once (a small file inside another download: the subject access bundle)."""
    return b"".join(csv_chunks(header, rows))


def safe_filename(name: str, default: str = "export") -> str:
    """A file name any file system and any Content-Disposition parser accepts: ASCII letters,
    digits, `.`, `-` and `_` only, no leading dot, at most 100 characters, ending in .csv."""
    stem = name[:-4] if name.lower().endswith(".csv") else name
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-_")[:96] or default
    return f"{stem}.csv"


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Iterable],
                 headers: dict[str, str] | None = None) -> StreamingResponse:
    """A download of the rows, streamed as they are read (`rows` may be a generator).
    A sync iterator is run in the threadpool by Starlette, so it may query the database."""
    disposition = f'attachment; filename="{safe_filename(filename)}"'
    return StreamingResponse(
        csv_chunks(header, rows), media_type=MEDIA_TYPE,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store",
                 **(headers or {})},
    )
