"""A cancelled further discussion (issue 19, item 8) is shown to every reader of the version,
partners included (page, API, PDF), and each organisation that was sent the version is told,
through the outbox, once; no organisation that was not sent it is told."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.config import get_settings
from app.domain.schema import StrategyRecordData, uk_now
from app.followup import entries, lifecycle
from app.records import service
from app.rules.due_dates import cancellation_update_due
from app.sending import service as sending
from app.sending import worker
from app.sending.models import Notification
from tests.builders import STANDARD_ORGANISATIONS, complete_record, discussion_time
from tests.conftest import as_user, make_user
from tests.html import soup, table_rows
from tests.pdf_helpers import pages_text

REASON = "The family moved to another authority; the enquiry transfers there."
SET_FOR = discussion_time().date() + timedelta(days=7)


def _partner(session, username, agency, address):
    return make_user(session, username, "partner", agency=agency, email=address)


@pytest.fixture
def people(session):
    return {
        "sw": make_user(session, "sam"),
        "police": _partner(session, "pc", "police", "pc@police.example"),
        "hv": _partner(session, "hv", "health_visiting", "hv@nhs.example"),
        # Not on the distribution list: never sent the record, never told of it.
        "gp": _partner(session, "gp", "gp", "gp@practice.example"),
    }


def _finalised(session, user):
    body = complete_record()
    body["next_steps"] |= {"next_discussion_on": str(SET_FOR)}
    record = lifecycle.create_record(session, data=StrategyRecordData.model_validate(body),
                                     team="Central", created_by_id=user.id)
    return lifecycle.finalise_record(session, record=record, expected_revision=record.revision,
                                     finalised_by=user)



def _cancelled(anonymous, session, people):
    """Finalised (and so sent to the police and health visiting), then cancelled from the page."""
    record = _finalised(session, people["sw"])
    client = as_user(anonymous, session, people["sw"])
    page = soup(client.get(f"/strategies/{record.id}/follow-up"))
    revision = page.select_one("#cancel-form input[name=revision]")["value"]
    answer = client.post(f"/strategies/{record.id}/cancel-further-discussion",
                         data={"revision": revision, "reason": REASON}, follow_redirects=False)
    assert answer.status_code == 303
    return record.id


def _notices(session, record_id):
    session.expire_all()
    return list(session.execute(select(Notification).where(
        Notification.record_id == record_id, Notification.kind == "discussion_cancelled")
        .order_by(Notification.organisation_id)).scalars())


def _update_by() -> str:
    return f"{cancellation_update_due(uk_now().date(), get_settings()):%-d %B %Y}"


def test_each_organisation_sent_the_version_is_told_once(anonymous, session, people):
    record_id = _cancelled(anonymous, session, people)
    notices = _notices(session, record_id)
    assert [(n.organisation_id, n.agency, n.email, n.version, n.status) for n in notices] == [
        (STANDARD_ORGANISATIONS["police"], "police", "pc@police.example", 1, "pending"),
        (STANDARD_ORGANISATIONS["health_visiting"], "health_visiting", "hv@nhs.example", 1,
         "pending"),
    ]
    # The GP was never sent the record: nothing queued for it of any kind.
    assert session.execute(select(Notification).where(
        Notification.email == "gp@practice.example")).first() is None


def test_an_organisation_the_version_was_withdrawn_from_is_not_told(anonymous, session, people):
    record = _finalised(session, people["sw"])
    sending.withdraw(session, record, 1, STANDARD_ORGANISATIONS["health_visiting"],
                     "Sent to the wrong team", people["sw"])
    session.refresh(record)
    entries.cancel_further_discussion(session, record, people["sw"], record.revision, REASON)
    assert [n.agency for n in _notices(session, record.id)] == ["police"]


def test_the_notice_says_what_happened_and_holds_no_case_detail(anonymous, session, people):
    record_id = _cancelled(anonymous, session, people)
    notice = _notices(session, record_id)[0]
    reference = service.get_record(session, record_id).reference
    email = worker.message(notice, reference, get_settings())
    assert email["Subject"] == f"Further strategy discussion cancelled: record {reference}"
    body = email.get_content()
    assert body.startswith(
        f"The further strategy discussion set by strategy discussion record {reference} "
        f"(version 1), sent to Police, has been cancelled. Sign in to read why and what happens "
        f"next: ")
    assert REASON not in body and "Leo" not in body and str(SET_FOR) not in body


def test_the_outbox_names_the_notice(anonymous, session, people):
    manager = make_user(session, "mo", "manager")
    record_id = _cancelled(anonymous, session, people)
    page = soup(as_user(anonymous, session, manager).get("/outbox"))
    rows = table_rows(page.select_one("#outbox"))
    reference = service.get_record(session, record_id).reference
    assert sorted((row[0], row[2]) for row in rows if row[3] == "Further discussion cancelled") == [
        (f"{reference} v1", "hv"), (f"{reference} v1", "pc")]


def test_a_partner_page_shows_the_cancellation_and_its_reason(anonymous, session, people):
    record_id = _cancelled(anonymous, session, people)
    page = soup(as_user(anonymous, session, people["police"]).get(f"/strategies/{record_id}"))
    notice = page.select_one("#discussion-cancelled")
    assert notice is not None
    lines = [p.get_text(" ", strip=True) for p in notice.select("strong, p")]
    assert lines == [
        f"The further strategy discussion set for {SET_FOR:%-d %B %Y} is cancelled.",
        f"Cancelled on {uk_now().date():%-d %B %Y} by Sam.",
        f"Reason: {REASON}",
        f"CSC will update all agencies involved of the cancellation and its reasons by "
        f"{_update_by()}.",
    ]


def test_the_social_workers_page_shows_it_too(anonymous, session, people):
    record_id = _cancelled(anonymous, session, people)
    page = soup(as_user(anonymous, session, people["sw"]).get(f"/strategies/{record_id}"))
    assert page.select_one("#discussion-cancelled strong").get_text(" ", strip=True) == (
        f"The further strategy discussion set for {SET_FOR:%-d %B %Y} is cancelled.")


def test_a_partner_reads_the_cancellation_through_the_api(anonymous, session, people):
    record_id = _cancelled(anonymous, session, people)
    answer = as_user(anonymous, session, people["police"]).get(f"/api/strategies/{record_id}")
    assert answer.status_code == 200
    assert answer.json()["further_discussion_cancelled"] == {
        "scheduled_for": str(SET_FOR), "cancelled_on": str(uk_now().date()),
        "cancelled_by": "Sam", "reason": REASON,
        "update_agencies_by": str(cancellation_update_due(uk_now().date(), get_settings())),
    }


def test_a_record_never_cancelled_reads_null(anonymous, session, people):
    record = _finalised(session, people["sw"])
    answer = as_user(anonymous, session, people["police"]).get(f"/api/strategies/{record.id}")
    assert answer.json()["further_discussion_cancelled"] is None


def test_a_partner_pdf_prints_the_cancellation_and_its_reason(anonymous, session, people):
    record_id = _cancelled(anonymous, session, people)
    answer = as_user(anonymous, session, people["police"]).get(f"/strategies/{record_id}/record.pdf")
    assert answer.status_code == 200
    text = " ".join(pages_text(answer.content))
    assert (f"The further strategy discussion scheduled for {SET_FOR:%-d %B %Y} was cancelled "
            f"on {uk_now().date():%-d %B %Y} by Sam.") in text
    assert f"Reason: {REASON}" in text
