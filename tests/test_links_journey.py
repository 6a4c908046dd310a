"""Reading without an account: the whole journey over HTTP with a real mail server (aiosmtpd)
reading the emails, and what the link, its code and its session refuse."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from app.auth.models import AuditEvent, User
from app.organisations import contacts
from app.sending import worker
from app.sending.link_models import LinkCode, RecipientLink
from app.sending.models import RecordReceipt
from tests.builders import STANDARD_ORGANISATIONS, finalised_record, recipients
from tests.conftest import make_user, signed_in
from tests.html import soup, table_rows
from tests.pdf_helpers import pages_text
from tests.shared_helpers import amended_and_sent, emailed_code, mail_body

POLICE = STANDARD_ORGANISATIONS["police"]
CASE_DETAIL = ("Leo", "Carter", "grabbed", "section 47", "s47")


def _sent(session, smtp, name="Sergeant Duty", email="duty@police.example"):
    """A record sent to the police, whose named contact reads by link: the link's path."""
    contacts.create(session, POLICE, name=name, role="Duty sergeant", email=email, secure=True)
    sw = make_user(session, "sam")
    record = finalised_record(session, sw)
    worker.run_once()
    mails = [m for to, m in smtp.messages if to == [email]]
    assert len(mails) == 1
    path = re.search(r"https://records\.example\.org(/r/[A-Za-z0-9_-]+)", mail_body(mails[0])).group(1)
    return record, path


def _actions(session, action):
    session.expire_all()
    return [(e.username, e.detail) for e in session.execute(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).scalars()]


def test_the_whole_journey_link_code_page_and_pdf(session, anonymous, smtp):
    record, path = _sent(session, smtp)
    notice = next(m for to, m in smtp.messages if to == ["duty@police.example"])
    for detail in CASE_DETAIL:
        assert detail not in mail_body(notice)
    assert re.search(r"/r/([A-Za-z0-9_-]+)", mail_body(notice)).group(1) not in str(
        session.execute(select(RecipientLink.token_hash)).all())  # stored hashed only

    # The link page shows nothing of the record.
    page = anonymous.get(path)
    assert page.status_code == 200
    for detail in CASE_DETAIL:
        assert detail not in page.text
    code = emailed_code(anonymous, smtp, path)
    answer = anonymous.post(f"{path}/session", data={"code": code}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/r/records/{record.id}/versions/1"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("sr_link=") and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie and "Path=/r/" in cookie

    page = anonymous.get(answer.headers["location"])
    assert page.status_code == 200
    assert "Leo Carter" in soup(page).select_one("main").get_text(" ")
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    pdf = anonymous.get(f"/r/records/{record.id}/versions/1/record.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "Leo Carter" in " ".join(pages_text(pdf.content))

    session.expire_all()
    link = session.execute(select(RecipientLink)).scalars().one()
    assert link.name == "Sergeant Duty" and link.first_opened_at and link.first_downloaded_at
    receipt = session.execute(select(RecordReceipt).where(
        RecordReceipt.organisation_id == POLICE)).scalar_one()
    assert receipt.first_opened_at is not None and receipt.first_downloaded_at is not None
    who = "Sergeant Duty (personal link)"
    assert [u for u, _ in _actions(session, "link_code_requested")] == [who]
    assert _actions(session, "link_code_accepted") == [(who, "version 1: session opened")]
    assert _actions(session, "link_viewed") == [(who, "version 1")]
    assert _actions(session, "link_downloaded") == [(who, "version 1")]


def test_a_scanner_fetching_the_link_uses_up_nothing(session, anonymous, smtp):
    record, path = _sent(session, smtp)
    code = emailed_code(anonymous, smtp, path)
    for _ in range(3):
        assert anonymous.get(path).status_code == 200
    assert anonymous.post(f"{path}/session", data={"code": code},
                          follow_redirects=False).status_code == 303


def test_a_used_code_cannot_be_replayed(session, anonymous, smtp):
    record, path = _sent(session, smtp)
    code = emailed_code(anonymous, smtp, path)
    assert anonymous.post(f"{path}/session", data={"code": code},
                          follow_redirects=False).status_code == 303
    anonymous.cookies.clear()
    again = anonymous.post(f"{path}/session", data={"code": code}, follow_redirects=False)
    assert again.status_code == 422
    assert soup(again).select_one("#code-error").get_text(" ", strip=True) == \
        "Error: There is no code to check: ask for a code"
    assert anonymous.get(f"/r/records/{record.id}/versions/1").status_code == 401


def test_the_sixth_wrong_code_is_refused_and_a_new_code_is_needed(session, anonymous, smtp):
    record, path = _sent(session, smtp)
    code = emailed_code(anonymous, smtp, path)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        answer = anonymous.post(f"{path}/session", data={"code": wrong})
        assert answer.status_code == 422
        assert soup(answer).select_one("#code-error").get_text(" ", strip=True) == \
            f"Error: The code is not right: {left} tries left"
    fifth = anonymous.post(f"{path}/session", data={"code": wrong})
    assert soup(fifth).select_one("#code-error").get_text(" ", strip=True) == \
        "Error: That code was tried too many times: ask for a new code"
    # The right code is refused now too.
    sixth = anonymous.post(f"{path}/session", data={"code": code}, follow_redirects=False)
    assert sixth.status_code == 422
    assert "tried too many times" in soup(sixth).select_one("#code-error").text
    new = emailed_code(anonymous, smtp, path)
    assert anonymous.post(f"{path}/session", data={"code": new},
                          follow_redirects=False).status_code == 303


def test_code_requests_are_rate_limited_per_recipient(session, anonymous, smtp):
    record, path = _sent(session, smtp)
    for _ in range(5):
        assert anonymous.post(f"{path}/code").status_code == 200
    refused = anonymous.post(f"{path}/code")
    assert refused.status_code == 429
    assert soup(refused).select_one("#throttled") is not None
    session.expire_all()
    assert len(session.execute(select(LinkCode)).all()) == 5
    assert _actions(session, "link_code_throttled") == [
        ("Sergeant Duty (personal link)", "version 1: too many codes asked for")]


def test_an_expired_code_and_an_expired_link(session, anonymous, smtp):
    record, path = _sent(session, smtp)
    code = emailed_code(anonymous, smtp, path)
    session.execute(update(LinkCode).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    session.commit()
    late = anonymous.post(f"{path}/session", data={"code": code})
    assert soup(late).select_one("#code-error").get_text(" ", strip=True) == \
        "Error: That code has expired: ask for a new code"
    session.execute(update(RecipientLink).values(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    session.commit()
    page = anonymous.get(path)
    assert page.status_code == 410
    assert soup(page).select_one("#closed").get_text(strip=True).startswith("This link has expired")
    assert anonymous.post(f"{path}/code").status_code == 410


def _opened(anonymous, smtp, path):
    code = emailed_code(anonymous, smtp, path)
    assert anonymous.post(f"{path}/session", data={"code": code},
                          follow_redirects=False).status_code == 303


def test_a_revoked_link_ends_its_session(session, anonymous, smtp):
    record, path = _sent(session, smtp)
    _opened(anonymous, smtp, path)
    link = session.execute(select(RecipientLink)).scalars().one()
    # A social worker sees the link on the record page but may not revoke it; a manager may.
    signed_in(anonymous, session, make_user(session, "sam2"))
    assert anonymous.post(f"/strategies/{record.id}/links/{link.id}/revoke").status_code == 403
    signed_in(anonymous, session, make_user(session, "mo", "manager"))
    row = table_rows(soup(anonymous.get(f"/strategies/{record.id}")).select_one("#links"))
    assert row[0][:3] == ["Version 1", "Sergeant Duty (duty@police.example)", row[0][2]]
    assert row[0][2] == "Not yet" and row[0][3].startswith("Revoke")
    revoked = anonymous.post(f"/strategies/{record.id}/links/{link.id}/revoke",
                             follow_redirects=False)
    assert revoked.status_code == 303
    assert _actions(session, "link_revoked") == [
        ("mo", "version 1: personal link of Sergeant Duty revoked")]
    assert anonymous.get(f"/r/records/{record.id}/versions/1").status_code == 401
    page = anonymous.get(path)
    assert page.status_code == 410
    assert soup(page).select_one("#closed").get_text(strip=True).startswith(
        "This link has been revoked")


def test_a_withdrawn_receipt_shows_withdrawn(session, anonymous, smtp):
    from app.sending import service as sending

    record, path = _sent(session, smtp)
    _opened(anonymous, smtp, path)
    manager = make_user(session, "mo", "manager")
    sending.withdraw(session, record, 1, POLICE, "Wrong police force", manager)
    assert anonymous.get(f"/r/records/{record.id}/versions/1").status_code == 404
    page = anonymous.get(path)
    assert soup(page).select_one("#closed").get_text(strip=True).startswith(
        "This record was sent to your organisation in error")


def test_the_link_session_reads_nothing_else(session, anonymous, smtp):
    record, path = _sent(session, smtp)
    other = finalised_record(session, make_user(session, "sue"))
    worker.run_once()  # its notices
    _opened(anonymous, smtp, path)
    assert anonymous.get(f"/r/records/{record.id}/versions/1").status_code == 200
    # Another record (sent to the police too), another version, the staff routes, the API.
    assert anonymous.get(f"/r/records/{other.id}/versions/1").status_code == 404
    assert anonymous.get(f"/r/records/{other.id}/versions/1/record.pdf").status_code == 404
    assert anonymous.get(f"/r/records/{record.id}/versions/2").status_code == 404
    for staff in ("/strategies", f"/strategies/{record.id}", f"/strategies/{record.id}/record.pdf",
                  f"/strategies/{other.id}/record.pdf"):
        answer = anonymous.get(staff, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")
    assert anonymous.get(f"/api/strategies/{record.id}").status_code == 401
    # Sent to the cookie's path only: even a route that looked for it would not get it.
    assert all(c.path == "/r/" for c in anonymous.cookies.jar)


def test_another_recipients_session_cannot_read_this_record(session, anonymous, smtp):
    record, path = _sent(session, smtp)
    # A GP's contact, sent a different record.
    gp = STANDARD_ORGANISATIONS["gp"]
    contacts.create(session, gp, name="Dr Who", role="GP", email="gp@nhs.example")
    gp_record = finalised_record(session, make_user(session, "sue"), distribution=recipients("gp"))
    worker.run_once()
    mail = next(m for to, m in smtp.messages if to == ["gp@nhs.example"])
    gp_path = re.search(r"org(/r/[A-Za-z0-9_-]+)", mail_body(mail)).group(1)
    code = emailed_code(anonymous, smtp, gp_path, "gp@nhs.example")
    assert anonymous.post(f"{gp_path}/session", data={"code": code},
                          follow_redirects=False).status_code == 303
    assert anonymous.get(f"/r/records/{gp_record.id}/versions/1").status_code == 200
    assert anonymous.get(f"/r/records/{record.id}/versions/1").status_code == 404
    assert anonymous.get(f"/r/records/{record.id}/versions/1/record.pdf").status_code == 404
    # The GP's code does not open the police contact's link either.
    assert anonymous.post(f"{path}/session", data={"code": code}).status_code == 422


def test_a_superseded_version_points_to_the_later_one_only_if_it_was_sent(
        session, anonymous, smtp):
    record, path = _sent(session, smtp)
    sw = session.get(User, record.created_by_id)
    # Version 2 goes only to health visiting: the police contact keeps version 1, superseded.
    record = amended_and_sent(session, record, sw, ("csc", "health_visiting"))
    worker.run_once()
    _opened(anonymous, smtp, path)
    page = soup(anonymous.get(f"/r/records/{record.id}/versions/1"))
    assert " ".join(page.select_one("#superseded").get_text(" ").split()) == (
        "! Warning This version has been superseded: a later version of this record exists. "
        "It was not sent to you.")
    assert anonymous.get(f"/r/records/{record.id}/versions/2").status_code == 404
    # Version 3 goes to the police again: the contact's new link; the old page points to it.
    record = amended_and_sent(session, record, sw, ("csc", "police"))
    worker.run_once()
    page = soup(anonymous.get(f"/r/records/{record.id}/versions/1"))
    assert page.select_one("#superseded a")["href"] == f"/r/records/{record.id}/versions/3"
    assert anonymous.get(f"/r/records/{record.id}/versions/3").status_code == 200
