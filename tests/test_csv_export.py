"""The CSV helper: read back with Python's csv module, as a spreadsheet user's file."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.csv_export import csv_chunks, csv_response, safe_filename
from app.domain.choices import LedBy


def csv_bytes(header, rows) -> bytes:
    """The whole file the streamed download sends."""
    return b"".join(csv_chunks(header, rows))

def read(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_a_bom_a_header_and_crlf_lines():
    data = csv_bytes(["Name", "Age"], [["Zoë Siân", 4]])
    assert data.startswith(b"\xef\xbb\xbfName,Age\r\n")
    assert read(data) == [["Name", "Age"], ["Zoë Siân", "4"]]


def test_values_are_written_in_iso_8601_and_plain_words():
    rows = [[date(2026, 11, 3), datetime(2026, 11, 3, 14, 5),
             datetime(2026, 11, 3, 14, 5, tzinfo=UTC), True, False, None, LedBy.EDT,
             Decimal("2.5")]]
    assert read(csv_bytes(list("abcdefgh"), rows))[1] == [
        "2026-11-03", "2026-11-03T14:05:00", "2026-11-03T14:05:00+00:00", "yes", "no", "",
        "edt", "2.5"]


def test_cells_a_spreadsheet_would_run_as_formulas_are_quoted():
    dangerous = ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tTab", "\rReturn"]
    harmless = ["Leo = Mia", "a-b", "", " =1"]
    rows = read(csv_bytes(["text"], [[text] for text in dangerous + harmless]))
    assert [row[0] for row in rows[1:]] == ["'" + text for text in dangerous] + harmless


def test_numbers_stay_numbers_even_when_negative():
    assert read(csv_bytes(["n"], [[-3], [-1.5]]))[1:] == [["-3"], ["-1.5"]]


def test_header_cells_are_escaped_too():
    assert read(csv_bytes(["=x"], []))[0] == ["'=x"]


def test_commas_quotes_and_line_breaks_survive():
    text = 'He said "no", then\nleft'
    assert read(csv_bytes(["t"], [[text]]))[1] == [text]


def test_rows_are_read_lazily_in_chunks():
    taken = []

    def rows():
        for n in range(5):
            taken.append(n)
            yield [n]

    chunks = csv_chunks(["n"], rows(), rows_per_chunk=2)
    assert next(chunks) == "\ufeffn\r\n".encode()
    assert taken == []
    assert next(chunks) == b"0\r\n1\r\n" and taken == [0, 1]
    assert list(chunks) == [b"2\r\n3\r\n", b"4\r\n"]


def test_file_names_are_made_safe():
    assert safe_filename("strategy-records-2026-11-03") == "strategy-records-2026-11-03.csv"
    assert safe_filename('../../etc/"passwd";\r\nX: y.CSV') == "etc-passwd-X-y.csv"
    assert safe_filename("Zoë's list") == "Zo-s-list.csv"
    assert safe_filename("...") == "export.csv"
    assert safe_filename("x" * 300) == "x" * 96 + ".csv"


def test_the_streamed_response_is_an_attachment():
    app = FastAPI()

    @app.get("/export")
    def export():
        return csv_response("my list", ["a"], ([n] for n in range(1200)))

    answer = TestClient(app).get("/export")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="my-list.csv"'
    assert answer.headers["cache-control"] == "no-store"
    assert read(answer.content) == [["a"]] + [[str(n)] for n in range(1200)]
