"""Named recipients chosen per record (by default the organisation's safeguarding mailbox),
and the notices that follow a version (withdrawn, superseded, further discussion cancelled)
reaching each named person with their personal link, not "sign in"."""

import re
from datetime import timedelta

from sqlalchemy import select, update

from app.auth.models import User
from app.domain.schema import StrategyRecordData
from app.followup import entries as followup
from app.followup import lifecycle as service
from app.organisations import contacts
from app.organisations.models import Organisation
from app.records import service as records
from app.sending import service as sending
from app.sending import worker
from app.sending.link_models import RecipientLink
from tests.builders import STANDARD_ORGANISATIONS, complete_record, discussion_time, recipients
from tests.conftest import make_user, signed_in
from tests.html import error_summary, post_section, soup
from tests.shared_helpers import amended_and_sent, emailed_code, mail_body

POLICE = STANDARD_ORGANISATIONS["police"]
MAILBOX = "mash@police.example"


def _police(session):
    """The police with a safeguarding mailbox and two named contacts."""
    session.execute(update(Organisation).where(Organisation.id == POLICE).values(email=MAILBOX))
    session.commit()
    duty = contacts.create(session, POLICE, name="Sergeant Duty", role="Duty sergeant",
                           email="duty@police.example", secure=True)
    inspector = contacts.create(session, POLICE, name="Inspector Lane", role="DI",
                                email="lane@police.example")
    return duty, inspector


def _finalised(session, sw, distribution, **changes):
    body = complete_record() | {"distribution": distribution} | changes
    record = service.create_record(session, data=StrategyRecordData.model_validate(body),
                                   team="Central", created_by_id=sw.id)
    return service.finalise_record(session, record=record, expected_revision=record.revision,
                                   finalised_by=sw)


def _mails(smtp, address):  # noqa: F811
    return [m for to, m in smtp.messages if to == [address]]


def _path(message) -> str:
    return re.search(r"https://records\.example\.org(/r/[A-Za-z0-9_-]+)", mail_body(message)).group(1)


def test_by_default_the_mailbox_reads_by_link_and_a_record_may_name_contacts(
        session, smtp):  # noqa: F811
    duty, inspector = _police(session)
    sw = make_user(session, "sam")
    _finalised(session, sw, recipients("police"))
    chosen = [{"organisation_id": POLICE, "contact_ids": [inspector.id]}]
    _finalised(session, sw, chosen)
    worker.run_once()
    assert len(_mails(smtp, MAILBOX)) == 1 and _mails(smtp, "duty@police.example") == []
    assert len(_mails(smtp, "lane@police.example")) == 1
    names = session.execute(select(RecipientLink.name).order_by(RecipientLink.id)).scalars()
    assert list(names) == ["Police safeguarding mailbox", "Inspector Lane"]


def test_the_distribution_form_offers_each_contact_and_refuses_another_organisations(
        session, anonymous):
    duty, inspector = _police(session)
    gp_contact = contacts.create(session, STANDARD_ORGANISATIONS["gp"], name="Dr Patel", role=None,
                                 email="patel@nhs.example")
    sw = make_user(session, "sam")
    record = service.create_record(session, data=StrategyRecordData.model_validate(
        complete_record()), team="Central", created_by_id=sw.id)
    signed_in(anonymous, session, sw)
    page = soup(anonymous.get(f"/strategies/{record.id}/sections/distribution"))
    box = page.select_one(f"#distribution-{POLICE}\\.{inspector.id}")
    assert box["name"] == "distribution" and not box.has_attr("checked")
    assert page.select_one(f"label[for='distribution-{POLICE}.{inspector.id}']").get_text(
        strip=True) == "Police: Inspector Lane, DI (lane@police.example)"
    saved = post_section(anonymous, record.id, "distribution", [
        ("revision", str(record.revision)), ("distribution", str(STANDARD_ORGANISATIONS["gp"])),
        ("distribution", f"{POLICE}.{inspector.id}")])
    assert saved.status_code == 303, saved.text
    session.expire_all()
    stored = records.get_record(session, record.id).content.distribution
    assert [(r.organisation_id, r.contact_ids) for r in stored] == [
        (STANDARD_ORGANISATIONS["gp"], []), (POLICE, [inspector.id])]
    page = soup(anonymous.get(f"/strategies/{record.id}/sections/distribution"))
    assert page.select_one(f"#distribution-{POLICE}\\.{inspector.id}").has_attr("checked")
    # A contact of another organisation, posted as the police's.
    record = records.get_record(session, record.id)
    refused = post_section(anonymous, record.id, "distribution", [
        ("revision", str(record.revision)), ("distribution", f"{POLICE}.{gp_contact.id}")])
    assert refused.status_code == 422
    assert error_summary(soup(refused))["#distribution"] == (
        f"Choose each organisation's contacts from its list: {gp_contact.id} is not an active "
        "contact of it")


def test_a_withdrawn_version_tells_its_reader_by_their_link(session, anonymous, smtp):  # noqa: F811
    duty, _ = _police(session)
    sw = make_user(session, "sam")
    record = _finalised(session, sw, [{"organisation_id": POLICE, "contact_ids": [duty.id]}])
    worker.run_once()
    sending.withdraw(session, record, 1, POLICE, "Wrong force", make_user(session, "mo", "manager"))
    worker.run_once()
    notice = _mails(smtp, "duty@police.example")[-1]
    assert notice["Subject"] == f"Strategy discussion record {record.reference} withdrawn"
    assert "Sign in" not in mail_body(notice) and "Wrong force" not in mail_body(notice)
    page = anonymous.get(_path(notice))
    assert page.status_code == 410
    assert soup(page).select_one("#closed").get_text(strip=True).startswith(
        "This record was sent to your organisation in error")
    assert _mails(smtp, MAILBOX) == []  # it never reached the mailbox: not told either


def test_a_superseded_version_tells_its_reader_by_their_link(session, anonymous, smtp):  # noqa: F811
    duty, _ = _police(session)
    sw = make_user(session, "sam")
    record = _finalised(session, sw, [{"organisation_id": POLICE, "contact_ids": [duty.id]}])
    worker.run_once()
    record = amended_and_sent(session, record, session.get(User, sw.id), ("health_visiting",))
    worker.run_once()
    notice = _mails(smtp, "duty@police.example")[-1]
    assert notice["Subject"] == f"Strategy discussion record {record.reference} superseded"
    body = mail_body(notice)
    assert "Sign in" not in body and "/strategies/" not in body
    assert "superseded by version 2, which was not sent to you" in body
    path = _path(notice)
    code = emailed_code(anonymous, smtp, path, "duty@police.example")
    opened = anonymous.post(f"{path}/session", data={"code": code}, follow_redirects=False)
    assert opened.headers["location"] == f"/r/records/{record.id}/versions/1"
    page = soup(anonymous.get(opened.headers["location"]))
    assert "It was not sent to you" in page.select_one("#superseded").get_text(" ")
    assert anonymous.get(f"/r/records/{record.id}/versions/2").status_code == 404


def test_a_cancelled_further_discussion_tells_its_reader_by_their_link(
        session, anonymous, smtp):  # noqa: F811
    duty, _ = _police(session)
    sw = make_user(session, "sam")
    set_for = discussion_time().date() + timedelta(days=7)
    record = _finalised(session, sw, [{"organisation_id": POLICE, "contact_ids": [duty.id]}],
                        next_steps={"next_discussion_on": str(set_for)})
    worker.run_once()
    session.refresh(record)
    followup.cancel_further_discussion(session, record, sw, record.revision,
                                       "The family moved to another authority.")
    worker.run_once()
    notice = _mails(smtp, "duty@police.example")[-1]
    assert notice["Subject"] == f"Further strategy discussion cancelled: record {record.reference}"
    body = mail_body(notice)
    assert body.startswith(
        f"The further strategy discussion set by strategy discussion record {record.reference} "
        "(version 1), sent to you at Police, has been cancelled. Read why and what happens next "
        "with your personal link: https://records.example.org/r/")
    assert "Sign in" not in body and "moved" not in body
    path = _path(notice)
    code = emailed_code(anonymous, smtp, path, "duty@police.example")
    opened = anonymous.post(f"{path}/session", data={"code": code}, follow_redirects=False)
    page = soup(anonymous.get(opened.headers["location"]))
    assert page.select_one("main") is not None and opened.status_code == 303
