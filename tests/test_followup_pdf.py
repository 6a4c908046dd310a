"""The printed record after the meeting: a superseded version says so on every page while its
text otherwise stays that of the version as finalised; an authorised one names who
authorised it; a cancelled further discussion is printed with its action."""

import re

from sqlmodel import select

from app.domain.schema import uk_now
from app.pdf.models import RenderedPdf
from tests.builders import complete_record
from tests.conftest import as_user, make_user
from tests.pdf_helpers import pages_text

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


def test_superseded_version_says_so_on_every_page_and_is_otherwise_unchanged(anonymous, session):
    sw = make_user(session, "sam")
    client = as_user(anonymous, session, sw)
    record = _finalised(client, _long_record())
    url = f"/strategies/{record['id']}/versions/1/record.pdf"
    as_finalised = pages_text(_pdf(client, url))
    assert len(as_finalised) >= 2
    amended = client.post(f"/api/strategies/{record['id']}/amend",
                          json={"revision": record["revision"], "reason": "Wrong school"}).json()
    client.post(f"/api/strategies/{record['id']}/finalise",
                json={"revision": amended["revision"]})

    superseded = pages_text(_pdf(client, url))
    assert all("SUPERSEDED by version 2" in page for page in superseded)

    # The same text, but for the marking (in place of "Finalised" in each page's header and on
    # page 1) and the box saying so after the last section. (The longer marking may move a page
    # break, so the pages' running headers and footers are set aside before comparing.)
    box = re.compile(r" ?SUPERSEDED by version 2\. This version has been amended.*?do not rely "
                     r"on this one\.")
    running = re.compile(r" ?SR-\d{4}-\d{5} · version 1 OFFICIAL-SENSITIVE Finalised +OFFICIAL-SENSITIVE "
                         r"Page \d+ of \d+")

    def body(pages: list[str]) -> str:
        return " ".join(running.sub("", GENERATED.sub("", page)) for page in pages)

    unmarked = [box.sub("", page).replace("SUPERSEDED by version 2", "Finalised") for page in superseded]
    assert body(unmarked) == body(as_finalised)
    assert all(running.search(GENERATED.sub("", page)) for page in as_finalised + unmarked)
    # The current version is not marked; the as-finalised bytes of version 1 are still stored.
    current = pages_text(_pdf(client, f"/strategies/{record['id']}/record.pdf"))
    assert not any("SUPERSEDED" in page for page in current)
    variants = {row.variant for row in session.exec(
        select(RenderedPdf).where(RenderedPdf.version == 1))}
    assert variants == {"record", "s2/record"}


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
