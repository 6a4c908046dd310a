"""The printed record after the meeting: a superseded version says so on page 1 and every
page while its text otherwise stays that of the version as finalised; no page is blank (the
closing words never stand alone); an authorised one names who authorised it; a cancelled
further discussion is printed with its action."""

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from app.clock import as_utc
from app.domain.schema import StrategyRecordData, uk_now
from app.followup.models import RecordVersion
from app.followup.printed import PrintedState
from app.pdf.models import RenderedPdf
from app.pdf.render import html_to_pdf, record_html
from app.records.display import as_text
from app.records.models import StrategyRecord
from tests.builders import complete_record
from tests.conftest import as_user, make_user
from tests.pdf_helpers import page_body, page_one_text, pages_text

GENERATED = re.compile(r"Generated \d{1,2} \w+ \d{4} at \d{2}:\d{2}\.?")



def _finalised(client, body) -> dict:
    created = client.post("/api/strategies", json=body).json()
    return client.post(f"/api/strategies/{created['id']}/finalise",
                       json={"revision": created["revision"]}).json()


def _pdf(client, url: str) -> bytes:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    return answer.content


def _long_record() -> dict:
    body = complete_record()
    body["analysis"]["history"] = "Earlier enquiry closed in 2023.\n" * 120
    return body


CONTACT = "Jo Bell, Social Worker, 01632 960 555"  # complete_record()'s social-care contact
END_BOX = ("SUPERSEDED by version 2. This version has been amended: ask children's social care "
           "for version 2, and do not rely on this one.")
CLOSING = re.compile(r"Agencies receiving this record do not see children's social care's case "
                     r"notes: .*? contact children's social care: " + re.escape(CONTACT) + r"\.$")


def _amend(client, record: dict) -> None:
    amended = client.post(f"/api/strategies/{record['id']}/amend",
                          json={"revision": record["revision"], "reason": "Wrong school"}).json()
    answer = client.post(f"/api/strategies/{record['id']}/finalise",
                         json={"revision": amended["revision"]})
    assert answer.status_code == 200, answer.text


def _superseded_on(session, record_id: int) -> str:
    snapshot = session.exec(select(RecordVersion).where(
        RecordVersion.record_id == record_id, RecordVersion.version == 1)).one()
    session.refresh(snapshot)
    return as_text(as_utc(snapshot.superseded_at))


def _whole_text(pages: list[str]) -> str:
    """The document's text, page breaks and running headers set aside."""
    return " ".join(GENERATED.sub("", " ".join(page_body(page) for page in pages)).split())


def test_superseded_version_says_so_on_page_1_and_is_otherwise_unchanged(anonymous, session):
    sw = make_user(session, "sam")
    client = as_user(anonymous, session, sw)
    record = _finalised(client, _long_record())
    url = f"/strategies/{record['id']}/versions/1/record.pdf"
    as_finalised = pages_text(_pdf(client, url))
    assert len(as_finalised) >= 2
    _amend(client, record)

    content = _pdf(client, url)
    notice = (f"SUPERSEDED by version 2 on {_superseded_on(session, record['id'])} Do not act on "
              "this version. It was amended, and version 2 replaces it: ask children's social "
              f"care for version 2 ({CONTACT}).")
    first = page_one_text(content)
    # On page 1, straight after the title and the version line, before anything of the record.
    assert first.startswith("Strategy discussion record SR-")
    assert first.index(notice) < first.index("Children: ") < first.index("Discussion details")
    superseded = pages_text(content)
    assert all(" OFFICIAL-SENSITIVE SUPERSEDED by version 2 Generated " in page
               for page in superseded)

    # The same text, but for the marking: the box on page 1, "SUPERSEDED by version 2" in
    # place of "Finalised" in the version line, and the box after the last section. The box
    # on page 1 moves the page breaks, so the whole text is compared, not page by page.
    unmarked = _whole_text(superseded).replace(notice + " ", "").replace(END_BOX + " ", "")
    unmarked = unmarked.replace("· SUPERSEDED by version 2 ·", "· Finalised ·", 1)
    assert "SUPERSEDED" not in unmarked
    assert unmarked == _whole_text(as_finalised)
    # The current version is not marked; the as-finalised bytes of version 1 are still stored.
    current = pages_text(_pdf(client, f"/strategies/{record['id']}/record.pdf"))
    assert not any("SUPERSEDED" in page for page in current)
    variants = {row.variant for row in session.exec(
        select(RenderedPdf).where(RenderedPdf.version == 1))}
    assert variants == {"record", "s2p/record"}


def _no_blank_page(pages: list[str]) -> None:
    bodies = [page_body(page) for page in pages]
    assert all(bodies), [i + 1 for i, body in enumerate(bodies) if not body]
    # The closing words never stand alone on the last page (nor with only the box beside them).
    last = CLOSING.sub("", bodies[-1]).replace(END_BOX, "").strip()
    assert CLOSING.search(bodies[-1]) and last, bodies[-1]


def test_no_page_of_a_superseded_or_an_ordinary_version_is_blank(anonymous, session):
    client = as_user(anonymous, session, make_user(session, "sam"))
    record = _finalised(client, _long_record())
    _amend(client, record)
    for url in (f"/strategies/{record['id']}/versions/1/record.pdf",
                f"/strategies/{record['id']}/record.pdf"):
        _no_blank_page(pages_text(_pdf(client, url)))


# History lines that put the closing words alone on the last page before they were kept with
# what comes before them (found by rendering 0 to 60 lines): 12 to 15 for a superseded version
# (16 to 20 with only the box beside them), 25 to 29 for an ordinary one.
@pytest.mark.parametrize("superseded, lines", [(True, 12), (True, 15), (True, 18), (False, 25),
                                               (False, 29)])
def test_the_closing_words_never_spill_onto_a_page_of_their_own(superseded, lines):
    body = complete_record()
    body["analysis"]["history"] = "Earlier enquiry closed in 2023.\n" * lines
    data = StrategyRecordData.model_validate(body).model_dump(mode="json")
    at = datetime(2026, 12, 1, 10, tzinfo=UTC)
    record = StrategyRecord(id=1, reference="SR-2026-00001", status="finalised", version=1,
                            revision=1, data=data, created_at=at, updated_at=at, finalised_at=at)
    after = PrintedState(superseded_by=2, superseded_at=at) if superseded else None
    pages = pages_text(html_to_pdf(record_html(record, after=after)))
    _no_blank_page(pages)
    if superseded:
        assert "SUPERSEDED by version 2 on 1 December 2026 at 10:00 Do not act" in pages[0]


def test_authorised_pdf_names_the_authoriser_and_the_partner_sees_it(anonymous, session):
    sw, manager = make_user(session, "sam"), make_user(session, "mo", "manager")
    police = make_user(session, "pc", "partner", agency="police")
    record = _finalised(as_user(anonymous, session, sw), complete_record())
    client = as_user(anonymous, session, manager)
    client.post(f"/api/strategies/{record['id']}/authorise", json={"revision": record["revision"]})
    partner = as_user(anonymous, session, police)
    text = "\n".join(pages_text(_pdf(partner, f"/strategies/{record['id']}/record.pdf")))
    assert re.search(r"Authorised by Mo on \d{1,2} \w+ \d{4} at \d{2}:\d{2}", text)


def test_cancelled_further_discussion_is_printed_with_its_action(anonymous, session):
    client = as_user(anonymous, session, make_user(session, "sam"))
    body = complete_record()
    body["next_steps"]["next_discussion_on"] = str(uk_now().date())
    record = _finalised(client, body)
    client.post(f"/strategies/{record['id']}/cancel-further-discussion",
                data={"revision": record["revision"], "reason": "Family left the area"})
    text = " ".join(" ".join(pages_text(_pdf(client, f"/strategies/{record['id']}/record.pdf")))
                    .split())
    assert "was cancelled on" in text
    assert "Reason: Family left the area" in text
    assert "CSC will update all agencies involved of the cancellation and its reasons by" in text
