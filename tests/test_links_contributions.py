"""Contributions before the meeting: social care asks an agency's contact for information by
personal link; the contact opens it with a one-time code and sends their agency's part, which
arrives in the draft and is kept (and printed) as received. A real mail server (aiosmtpd)
reads the emails."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from app.auth.models import AuditEvent
from app.domain.schema import StrategyRecordData, uk_now
from app.followup import lifecycle as service
from app.organisations import contacts
from app.records import service as records
from app.sending import worker
from app.sending.link_models import InformationRequest, RecipientLink
from tests.builders import STANDARD_ORGANISATIONS, complete_record
from tests.conftest import make_user, signed_in
from tests.html import error_summary, soup, table_rows
from tests.pdf_helpers import pages_text
from tests.shared_helpers import emailed_code, mail_body

GP = STANDARD_ORGANISATIONS["gp"]
GP_EMAIL = "patel@nhs.example"
SENT = {"known": "yes", "position": "has_concerns", "concerns": "Missed immunisations",
        "knowledge": "Registered since birth; mother seen for low mood", "name": "Dr Patel",
        "role": "GP partner", "phone": "01632 960 777", "can_join": "yes", "join_by": "video"}


def _draft(session, sw):
    data = StrategyRecordData.model_validate(complete_record())
    return service.create_record(session, data=data, team="Central", created_by_id=sw.id)


def _asked(session, client, smtp, needed_by=None):  # noqa: F811
    """A draft, its social worker asking the GP's named contact: the record and the link's path."""
    contact = contacts.create(session, GP, name="Dr Patel", role="GP partner", email=GP_EMAIL)
    sw = make_user(session, "sam")
    record = _draft(session, sw)
    signed_in(client, session, sw)
    day = needed_by or uk_now().date() + timedelta(days=2)
    answer = client.post(f"/strategies/{record.id}/information-requests", data={
        "recipient": f"contact-{contact.id}", "needed_by": f"{day.day}/{day.month}/{day.year}"},
        follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert worker.run_once() == 1
    to, mail = smtp.messages[-1]
    assert to == [GP_EMAIL]
    path = re.search(r"https://records\.example\.org(/r/[A-Za-z0-9_-]+)", mail_body(mail)).group(1)
    client.cookies.clear()
    return record, path, mail


def _in(client, smtp, path):  # noqa: F811
    code = emailed_code(client, smtp, path, GP_EMAIL)
    answer = client.post(f"{path}/session", data={"code": code}, follow_redirects=False)
    assert answer.status_code == 303
    return answer.headers["location"]


def test_asking_refuses_a_missing_person_and_a_past_date(session, anonymous):
    sw = make_user(session, "sam")
    record = _draft(session, sw)
    signed_in(anonymous, session, sw)
    page = soup(anonymous.get(f"/strategies/{record.id}"))
    assert page.select_one("#ask-for-information")["href"] == \
        f"/strategies/{record.id}/information-requests/new"
    past = uk_now().date() - timedelta(days=1)
    answer = anonymous.post(f"/strategies/{record.id}/information-requests", data={
        "recipient": "contact-999999", "needed_by": f"{past.day}/{past.month}/{past.year}"})
    assert answer.status_code == 422
    page = soup(answer)
    assert error_summary(page) == {
        "#recipient": "Choose who to ask",
        "#needed_by": "The date it is needed by must be today or within 90 days"}
    assert page.select_one("#needed_by")["value"] == f"{past.day}/{past.month}/{past.year}"
    bad = anonymous.post(f"/strategies/{record.id}/information-requests",
                         data={"recipient": "org-abc", "needed_by": "31/2/2026"})
    assert error_summary(soup(bad))["#needed_by"].startswith("Enter a real date")
    # A partner may not ask.
    signed_in(anonymous, session, make_user(session, "pat", "partner", agency="police"))
    assert anonymous.post(f"/strategies/{record.id}/information-requests", data={
        "recipient": "org-1", "needed_by": "today"}).status_code == 404


def test_the_gp_contributes_and_it_arrives_in_the_draft_as_received(session, anonymous, smtp):  # noqa: F811
    record, path, mail = _asked(session, anonymous, smtp)
    assert mail["Subject"] == f"Information needed for a strategy discussion: {record.reference}"
    for detail in ("Leo", "Carter", "grabbed", "Bruising"):
        assert detail not in mail_body(mail)
    assert re.search(r"/r/([A-Za-z0-9_-]+)", mail_body(mail)).group(1) not in str(
        session.execute(select(RecipientLink.token_hash)).all())
    assert "Give information for a strategy discussion" in anonymous.get(path).text
    form_path = _in(anonymous, smtp, path)
    asked = session.execute(select(InformationRequest)).scalar_one()
    assert form_path == f"/r/requests/{asked.id}"
    form = soup(anonymous.get(form_path))
    assert form.select_one("#children").get_text(" ", strip=True).startswith("Leo Carter, born")

    # Everything missing: every problem at once, in the form's order, typed text kept.
    empty = anonymous.post(form_path, data={"name": "Dr Patel", "position": "has_concerns",
                                            "can_join": "yes", "phone": "not a phone"})
    assert empty.status_code == 422
    page = soup(empty)
    assert error_summary(page) == {
        "#known": "Say whether the child or family is known to your agency",
        "#concerns": "Enter your agency's concerns",
        "#knowledge": "Enter what your agency knows of the child and family",
        "#role": "Enter your role",
        "#phone": "Enter a phone number, like 01632 960 001 or +44 7700 900 982",
        "#join_by": "Say how you can join"}
    assert page.select_one("#name")["value"] == "Dr Patel"
    assert page.select_one("input[name=position][value=has_concerns]").has_attr("checked")

    sent = anonymous.post(form_path, data=SENT, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == form_path
    assert soup(anonymous.get(form_path)).select_one("#received") is not None

    session.expire_all()
    record = records.get_record(session, record.id)
    gp_position = next(p for p in record.content.agency_positions if p.organisation_id == GP)
    assert gp_position.position == "has_concerns"
    assert gp_position.concerns.startswith("Sent by Dr Patel (GP partner) by email on ")
    assert "Missed immunisations" in gp_position.concerns
    gp_person = next(p for p in record.content.participants if p.organisation_id == GP)
    assert (gp_person.name, gp_person.role, gp_person.mode, gp_person.phone, gp_person.email) == \
        ("Dr Patel", "GP partner", "email_outside", "01632 960 777", GP_EMAIL)
    assert gp_person.contributed_at is not None

    # Sending again is refused; the contribution as received never changes.
    again = anonymous.post(form_path, data=SENT | {"concerns": "Something else"})
    assert again.status_code == 409
    session.expire_all()
    asked = session.execute(select(InformationRequest)).scalar_one()
    assert asked.contribution["concerns"] == "Missed immunisations"
    assert asked.into_version == 1

    # The recorder edits the record; the PDF still prints the contribution as received.
    sw = make_user(session, "sue")
    edited = record.content.model_dump(mode="json")
    for row in edited["agency_positions"]:
        if row["organisation_id"] == GP:
            row["concerns"] = "Edited by the recorder"
    service.save_record(session, record=record, data=StrategyRecordData.model_validate(edited),
                        expected_revision=record.revision)
    signed_in(anonymous, session, sw)
    pdf = anonymous.get(f"/strategies/{record.id}/record.pdf")
    text = " ".join(" ".join(pages_text(pdf.content)).split())
    assert "Contributions received by email, as received" in text
    assert "Concerns: Missed immunisations" in text and "Edited by the recorder" in text
    rows = table_rows(soup(anonymous.get(f"/strategies/{record.id}")).select_one(
        "#information-requests"))
    assert rows[0][0] == f"Dr Patel, General practice ({GP_EMAIL})" or rows[0][0].startswith(
        "Dr Patel, ")
    assert rows[0][2].endswith(": in the draft") and rows[0][3] == "Used"

    who = "Dr Patel (personal link)"
    actions = [(e.action, e.username) for e in session.execute(
        select(AuditEvent).where(AuditEvent.username == who).order_by(AuditEvent.id)).scalars()]
    assert [a for a, _ in actions if a.startswith(("contribution", "link_code"))] == [
        "link_code_requested", "link_code_accepted", "contribution_form_viewed",
        "contribution_received", "contribution_form_viewed", "contribution_refused"]


def test_the_request_session_reaches_only_its_own_form(session, anonymous, smtp):  # noqa: F811
    record, path, _ = _asked(session, anonymous, smtp)
    form_path = _in(anonymous, smtp, path)
    asked_id = int(form_path.rsplit("/", 1)[1])
    assert anonymous.get(f"/r/requests/{asked_id + 1}").status_code == 404
    assert anonymous.post(f"/r/requests/{asked_id + 1}", data=SENT).status_code == 404
    assert anonymous.get(f"/r/records/{record.id}/versions/1").status_code == 404
    answer = anonymous.get(f"/strategies/{record.id}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")
    anonymous.cookies.clear()
    assert anonymous.get(form_path).status_code == 401


def test_a_revoked_request_link_closes_its_form(session, anonymous, smtp):  # noqa: F811
    record, path, _ = _asked(session, anonymous, smtp)
    form_path = _in(anonymous, smtp, path)
    session.execute(update(RecipientLink).values(revoked_at=datetime.now(UTC)))
    session.commit()
    assert anonymous.get(form_path).status_code == 401  # the session ended with its link
    assert anonymous.get(path).status_code == 410


def test_information_not_received_by_its_date_shows_as_overdue(session, anonymous, smtp):  # noqa: F811
    record, path, _ = _asked(session, anonymous, smtp, needed_by=uk_now().date())
    session.execute(update(InformationRequest).values(
        needed_by=uk_now().date() - timedelta(days=1)))
    session.commit()
    signed_in(anonymous, session, make_user(session, "mo", "manager"))
    rows = table_rows(soup(anonymous.get(f"/strategies/{record.id}")).select_one(
        "#information-requests"))
    assert rows[0][2] == "Overdue"
    late = soup(anonymous.get("/manager")).select_one("#late-information")
    assert " ".join(late.get_text(" ").split()).startswith(f"{record.reference} : ")
    assert late.select_one("a")["href"] == f"/strategies/{record.id}#information-requests"
    # Another team's manager does not see it.
    signed_in(anonymous, session, make_user(session, "max", "manager", team="North"))
    assert soup(anonymous.get("/manager")).select_one("#late-information-none") is not None


def test_a_scanner_uses_up_nothing_and_an_expired_request_link_closes(session, anonymous, smtp):  # noqa: F811
    record, path, _ = _asked(session, anonymous, smtp)
    for _ in range(3):  # a mail scanner fetching the link first
        assert anonymous.get(path).status_code == 200
    form_path = _in(anonymous, smtp, path)
    assert anonymous.get(form_path).status_code == 200
    session.execute(update(RecipientLink).values(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    session.commit()
    assert anonymous.get(form_path).status_code == 401
    assert anonymous.post(form_path, data=SENT).status_code == 401
    page = anonymous.get(path)
    assert page.status_code == 410
    assert soup(page).select_one("#closed").get_text(strip=True).startswith("This link has expired")
    session.expire_all()
    assert session.execute(select(InformationRequest.received_at)).scalar_one() is None


def test_code_requests_are_limited_per_client_address_across_recipients(
        session, anonymous, smtp, settings_env):  # noqa: F811
    settings_env(link_code_requests_per_address=2)
    record, path, _ = _asked(session, anonymous, smtp)
    # A second contact's request on the same record, from the same client address.
    other = contacts.create(session, GP, name="Nurse Reed", role="Practice nurse",
                            email="reed@nhs.example")
    signed_in(anonymous, session, make_user(session, "sue"))
    day = uk_now().date()
    assert anonymous.post(f"/strategies/{record.id}/information-requests", data={
        "recipient": f"contact-{other.id}", "needed_by": f"{day.day}/{day.month}/{day.year}"},
        follow_redirects=False).status_code == 303
    worker.run_once()
    second = re.search(r"org(/r/[A-Za-z0-9_-]+)", mail_body(smtp.messages[-1][1])).group(1)
    anonymous.cookies.clear()
    assert anonymous.post(f"{path}/code").status_code == 200
    assert anonymous.post(f"{second}/code").status_code == 200
    refused = anonymous.post(f"{path}/code")
    assert refused.status_code == 429 and soup(refused).select_one("#throttled") is not None
