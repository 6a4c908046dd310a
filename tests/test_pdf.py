"""The printed record: what a partner agency reads, its structure, its safety and its cache."""

import shutil
import subprocess
from datetime import date

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from app.domain.sections import SECTIONS
from app.pdf import render as pdf_render
from app.pdf import worker
from app.pdf.fetcher import ASSETS, AssetsOnlyFetcher
from app.pdf.models import RenderedPdf
from app.records.service import get_record
from app.rules.completeness import RULES, Severity
from tests.builders import complete_record
from tests.html import table_rows
from tests.pdf_helpers import assert_in_order, pages_text, reader, slow_render, structure_tags

INJECTIONS = [
    '<link rel=attachment href="file:///etc/passwd">',
    '<img src="http://127.0.0.1:9/x">',
    "<style>body{display:none}</style>",
]


def _create(client, body=None) -> dict:
    answer = client.post("/api/strategies", json=body if body is not None else complete_record())
    assert answer.status_code == 201, answer.text
    return answer.json()


def _finalised(client, body=None) -> dict:
    record = _create(client, body)
    assert client.post(f"/api/strategies/{record['id']}/finalise",
                       json={"revision": record["revision"]}).status_code == 200
    return record


def _pdf(client, url: str) -> bytes:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    return answer.content


def test_text_has_everything_a_partner_agency_needs(client):
    body = complete_record()
    record = _finalised(client, body)
    text = " ".join(pages_text(_pdf(client, f"/strategies/{record['id']}/record.pdf")))
    assert "Contributed outside the meeting" in text
    assert "Leo said his dad grabbed him." in text
    due = date.fromisoformat(body["actions"][0]["due_date"])
    assert ("CSC will update all agencies involved on outcomes/actions taken by "
            f"{due.day} {due:%B %Y}") in text
    assert "Initial child protection conference date" in text
    required = sum(rule.severity == Severity.BLOCKING for rule in RULES)
    assert f"All {required} required checks are met." in text


# Who took part, each in the group and with the words for how they took part.
PEOPLE = [
    ("Took part in the meeting", "Priya Shah", "in_person", "Attended in person"),
    ("Took part in the meeting", "DC Evans", "video", "Attended by video"),
    ("Contributed outside the meeting (phone, email or report)", "Sam Lee", "phone_outside",
     "By phone, outside the meeting"),
    ("Contributed outside the meeting (phone, email or report)", "Jo Bloggs", "email_outside",
     "By email, outside the meeting"),
    ("Invited but unavailable", "Dr Patel", "unavailable", "Invited but unavailable"),
]
# Each agency with its own position and details, in the order entered.
AGENCIES = [
    ("csc", "Children's social care", "has_concerns", "Has concerns", "Injury"),
    ("police", "Police", "has_concerns", "Has concerns", "Domestic abuse"),
    ("health_visiting", "Health visiting", "no_concerns", "Contacted: no safeguarding concerns",
     "No safeguarding concerns"),
    ("school", "School or college", "not_contacted", "Not contacted",
     "Why not contacted: Closed for the holidays"),
]


def _with_people_and_agencies() -> dict:
    body = complete_record()
    at = body["participants"][2]["contributed_at"]
    body["participants"] = [
        {"name": name, "agency": "csc", "role": "Worker", "mode": mode,
         **({"contributed_at": at} if mode.endswith("_outside") else {})}
        for _, name, mode, _ in PEOPLE]
    body["agency_positions"] = [
        {"agency": agency, "position": position,
         **({"concerns": detail} if position == "has_concerns" else {}),
         **({"not_contacted_reason": detail.split(": ", 1)[1]} if position == "not_contacted" else {})}
        for agency, _, position, _, detail in AGENCIES]
    return body


def _table_after(page, tag: str, title: str):
    heading = page.find(tag, string=lambda text: text is not None and text.strip() == title)
    assert heading is not None, title
    return heading.find_next("table")


def test_each_person_is_printed_with_their_own_contribution_mode(client, session):
    record = _create(client, _with_people_and_agencies())
    page = BeautifulSoup(pdf_render.record_html(get_record(session, record["id"])), "html.parser")
    text = " ".join(pages_text(_pdf(client, f"/strategies/{record['id']}/record.pdf")))
    groups = {group for group, *_ in PEOPLE}
    for group in groups:
        people = [(name, words) for g, name, _, words in PEOPLE if g == group]
        title = f"{group} ({len(people)})"
        rows = table_rows(_table_after(page, "h3", title))
        # Name and role | Agency | How they contributed | When | Phone and email
        assert [(row[0], row[2]) for row in rows] == [(f"{name} Worker", words) for name, words in people]
        # The printed record holds the same rows, cell after cell, under the group's heading.
        assert_in_order(text, [title] + [cell for row in rows for cell in row if cell])


def test_each_agency_is_printed_with_its_own_position(client, session):
    record = _create(client, _with_people_and_agencies())
    page = BeautifulSoup(pdf_render.record_html(get_record(session, record["id"])), "html.parser")
    rows = table_rows(_table_after(page, "h2", "Agency positions"))
    assert rows == [[name, words, detail] for _, name, _, words, detail in AGENCIES]
    text = " ".join(pages_text(_pdf(client, f"/strategies/{record['id']}/record.pdf")))
    assert_in_order(text, ["Agency positions", "Agency", "Position", "Concerns, or why not contacted"]
                    + [cell for row in rows for cell in row])


def test_every_page_is_marked_and_numbered(client):
    record = _finalised(client)
    pages = pages_text(_pdf(client, f"/strategies/{record['id']}/record.pdf"))
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert text.count("OFFICIAL-SENSITIVE") >= 2, f"page {number}"
        assert f"Page {number} of {len(pages)}" in text
        assert record["reference"] in text
        assert "Generated" in text


def test_draft_is_watermarked_on_every_page_and_final_is_not(client):
    draft = _create(client)
    for text in pages_text(_pdf(client, f"/strategies/{draft['id']}/record.pdf")):
        assert "NOT FOR CIRCULATION" in text
    final = _finalised(client)
    for text in pages_text(_pdf(client, f"/strategies/{final['id']}/record.pdf")):
        assert "NOT FOR CIRCULATION" not in text


def test_per_child_copies_hold_only_their_child(client):
    body = complete_record()
    body["children"].append({**body["children"][0], "key": "child2", "name": "Mia Carter",
                             "voice": "Mia smiled at her mother."})
    record = _finalised(client, body)
    leo = " ".join(pages_text(_pdf(client, f"/strategies/{record['id']}/children/child1/record.pdf")))
    mia = " ".join(pages_text(_pdf(client, f"/strategies/{record['id']}/children/child2/record.pdf")))
    assert "Leo Carter" in leo and "Mia Carter" not in leo
    assert "Mia Carter" in mia and "Leo Carter" not in mia
    assert "Mia smiled at her mother." in mia and "Leo said his dad" not in mia
    assert "Sam Lee" in leo and "Sam Lee" in mia  # shared sections appear in both
    assert client.get(f"/strategies/{record['id']}/children/nobody/record.pdf").status_code == 404


def _fonts(content: bytes) -> list[tuple[str, bool]]:
    """(base font name, embedded?) for every font the pages use."""
    found = {}
    for page in reader(content).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[str(font["/BaseFont"])] = embedded
    return list(found.items())


def test_tagged_pdf_ua_structure_has_title_language_headings_and_table_headers(client, tmp_path):
    record = _finalised(client)
    content = _pdf(client, f"/strategies/{record['id']}/record.pdf")
    catalogue = reader(content).trailer["/Root"]
    assert "/StructTreeRoot" in catalogue
    assert str(catalogue["/Lang"]).lower().startswith("en")
    metadata = catalogue["/Metadata"].get_object().get_data()
    assert b'pdfuaid:part="1"' in metadata
    title = f"Strategy discussion record {record['reference']}"
    assert f'<rdf:li xml:lang="x-default">{title}</rdf:li>'.encode() in metadata
    # Headings and table headers are tagged as such, not as plain text: one H1 (the title),
    # an H2 for the completeness box and for each section, TH cells in every table's head.
    tags = structure_tags(content)
    assert tags["H1"] == 1
    assert tags["H2"] == len(SECTIONS) + 1
    assert tags["THead"] == 4  # two participant groups, agency positions, actions
    assert tags["TH"] >= 5 + 5 + 3 + 4  # the column headers of those four tables
    assert {"Table", "TR", "TD", "L", "LI"} <= set(tags)
    fonts = _fonts(content)
    assert fonts and all(embedded for _, embedded in fonts), fonts
    assert any("Record-Sans" in name for name, _ in fonts), "the shipped font is used"
    path = tmp_path / "record.pdf"
    path.write_bytes(content)
    qpdf = shutil.which("qpdf")
    assert qpdf, "qpdf is installed by scripts/test.sh"
    check = subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_user_text_is_printed_literally_and_loads_nothing(client, session, monkeypatch):
    body = complete_record()
    body["grounds"]["summary"] = " ".join(INJECTIONS)
    body["participants"][0]["name"] = INJECTIONS[1]
    body["analysis"] = {"risks": INJECTIONS[0]}
    record = _create(client, body)
    content = _pdf(client, f"/strategies/{record['id']}/record.pdf")
    # Lines may wrap anywhere, so compare with all white space removed.
    squashed = "".join("".join(pages_text(content)).split())
    assert "<style>body{display:none}</style>" in squashed
    assert '<linkrel=attachmenthref="file:///etc/passwd">' in squashed
    assert '<imgsrc="http://127.0.0.1:9/x">' in squashed
    assert b"/EmbeddedFiles" not in content and b"/Filespec" not in content

    # The endpoint renders in another process, so spy on the same HTML rendered here.
    fetched: list[str] = []
    original = AssetsOnlyFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(AssetsOnlyFetcher, "fetch", spy)
    pdf_render.html_to_pdf(pdf_render.record_html(get_record(session, record["id"])))
    # Only the stylesheet and the shipped fonts are fetched, all from the assets folder.
    assert sorted(fetched) == sorted(f"{ASSETS.as_uri()}/{name}" for name in (
        "print.css", "fonts/DejaVuSans.ttf", "fonts/DejaVuSans-Bold.ttf",
        "fonts/DejaVuSans-Oblique.ttf"))


def test_fetcher_refuses_everything_outside_the_assets(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    fetcher = AssetsOnlyFetcher()
    html = (f'<html lang="en"><head><title>t</title><link rel="attachment" href="{secret.as_uri()}">'
            f'<link rel="stylesheet" href="{(ASSETS / ".." / "render.py").as_uri()}"></head>'
            '<body><img src="http://127.0.0.1:9/x" alt="x"><img src="file:///etc/passwd" alt="y">'
            '<p>text</p></body></html>')
    content = pdf_render.html_to_pdf(html, fetcher)
    assert b"/EmbeddedFiles" not in content
    assert secret.as_uri() in fetcher.refused
    assert "http://127.0.0.1:9/x" in fetcher.refused
    assert "file:///etc/passwd" in fetcher.refused
    assert any("render.py" in url for url in fetcher.refused)


def test_finalised_pdf_is_stored_once_and_served_with_an_etag(client, session):
    record = _finalised(client)
    url = f"/strategies/{record['id']}/record.pdf"
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    etag = first.headers["etag"]
    assert etag == second.headers["etag"]
    rows = session.exec(select(RenderedPdf).where(RenderedPdf.record_id == record["id"])).all()
    assert len(rows) == 1 and rows[0].content == first.content
    unchanged = client.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b"" and unchanged.headers["etag"] == etag
    # Later downloads are the stored bytes, not a new render: change the stored copy and the
    # download follows it.
    rows[0].content = b"%PDF-1.7 the stored copy"
    session.add(rows[0])
    session.commit()
    assert client.get(url).content == b"%PDF-1.7 the stored copy"


def test_drafts_are_rendered_fresh_and_never_stored(client, session):
    draft = _create(client)
    answer = client.get(f"/strategies/{draft['id']}/record.pdf")
    assert answer.headers["cache-control"] == "no-store"
    assert session.exec(select(RenderedPdf)).all() == []


def test_a_slow_render_times_out_clearly_and_stores_nothing(client, session, monkeypatch):
    from app import config

    record = _finalised(client)
    monkeypatch.setattr(config.get_settings(), "pdf_render_timeout_seconds", 0.3)
    monkeypatch.setattr(worker, "_child", slow_render(5.0))
    answer = client.get(f"/strategies/{record['id']}/record.pdf")
    assert answer.status_code == 503
    assert "took too long" in answer.text
    assert session.exec(select(RenderedPdf)).all() == []


def test_every_field_of_an_agency_position_is_printed(client):
    body = complete_record()
    body["agency_positions"].append({
        "agency": "school", "position": "not_contacted", "concerns": "Attendance has dropped.",
        "not_contacted_reason": "The school was closed for the holidays.",
    })
    record = _create(client, body)
    text = " ".join(pages_text(_pdf(client, f"/strategies/{record['id']}/record.pdf")))
    assert "Attendance has dropped." in text
    assert "Why not contacted: The school was closed for the holidays." in text


@pytest.mark.parametrize("url", ["/strategies/424242/record.pdf", "/strategies/abc/record.pdf"])
def test_missing_record_pdf_is_404(client, url):
    assert client.get(url).status_code == 404


def test_file_names_say_what_the_file_is(client):
    body = complete_record()
    first = body["children"][0]
    body["children"] += [{**first, "key": "child2", "name": "Zoë O'Brien / \"Jay\""},
                         {**first, "key": "child3", "name": None}]
    record = _create(client, body)
    base = f"/strategies/{record['id']}"
    reference = record["reference"]

    def name(url: str) -> str:
        answer = client.get(url)
        assert answer.status_code == 200
        return answer.headers["content-disposition"]

    assert name(f"{base}/record.pdf") == f'attachment; filename="{reference}-v1-DRAFT.pdf"'
    assert name(f"{base}/children/child2/record.pdf") == (
        f'attachment; filename="{reference}-v1-Zoe-O-Brien-Jay-DRAFT.pdf"')
    assert name(f"{base}/children/child3/record.pdf") == f'attachment; filename="{reference}-v1-Child-3-DRAFT.pdf"'
    final = _create(client)  # a child must be named before a record is finalised
    assert client.post(f"/api/strategies/{final['id']}/finalise",
                       json={"revision": final["revision"]}).status_code == 200
    base, reference = f"/strategies/{final['id']}", final["reference"]
    assert name(f"{base}/record.pdf") == f'attachment; filename="{reference}-v1.pdf"'
    assert name(f"{base}/children/child1/record.pdf") == f'attachment; filename="{reference}-v1-Leo-Carter.pdf"'
