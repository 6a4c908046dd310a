"""Convening a request (issue 22, item 7): the record carries every contact detail the requester
gave, ticks their organisation as taking part and for distribution, and the requester is told
when the record is sent."""

from sqlmodel import select

from app.organisations.models import Organisation
from app.sending.models import Notification
from tests.builders import STANDARD_ORGANISATIONS, complete_record, recipients
from tests.conftest import make_user, signed_in
from tests.shared_helpers import request_body

CONTACT = {"requester_role": "Designated safeguarding lead", "requester_phone": "01632 960 505",
           "requester_email": "dsl@school.example"}


def _convened(client, session, requester) -> dict:
    client.cookies.clear()
    made = signed_in(client, session, requester).post(
        "/api/requests", json=request_body(**CONTACT)).json()
    client.cookies.clear()
    signed_in(client, session, make_user(session, "sw1"))
    record_id = client.post(f"/api/requests/{made['id']}/convene").json()["record_id"]
    return client.get(f"/api/strategies/{record_id}").json()


def test_the_requester_takes_part_with_every_contact_detail_and_their_organisation(
        anonymous, session):
    school = make_user(session, "school1", "partner", agency="school")
    record = _convened(anonymous, session, school)
    org = STANDARD_ORGANISATIONS["school"]
    name = session.get(Organisation, org).name
    assert record["participants"] == [{
        "user_id": None, "name": "School1", "agency": "school", "organisation_id": org,
        "organisation": name, "role": "Designated safeguarding lead", "mode": None,
        "phone": "01632 960 505", "email": "dsl@school.example", "contributed_at": None,
        "contributed_at_clock": None, "relayed_by": None}]
    assert record["distribution"] == [{"organisation_id": org, "agency": "school", "name": name,
                                       "contact_ids": []}]


def test_an_inactive_organisation_is_not_ticked(anonymous, session):
    school = make_user(session, "school1", "partner", agency="school")
    session.get(Organisation, school.organisation_id).active = False
    session.commit()
    record = _convened(anonymous, session, school)
    assert record["distribution"] == []
    assert record["participants"][0]["email"] == "dsl@school.example"


def test_the_requester_is_told_when_the_record_is_sent(anonymous, session):
    """Even where the school is reached through its safeguarding mailbox, not its users."""
    school = make_user(session, "school1", "partner", agency="school", email="dsl@school.example")
    session.get(Organisation, school.organisation_id).email = "safeguarding@school.example"
    session.commit()
    record = _convened(anonymous, session, school)
    body = complete_record()
    body["distribution"] = recipients("police", "health_visiting", "school")
    body["participants"] += record["participants"]
    body["participants"][-1]["mode"] = "video"
    saved = anonymous.put(f"/api/strategies/{record['id']}",
                          json={**body, "revision": record["revision"]})
    assert saved.status_code == 200, saved.text
    finalised = anonymous.post(f"/api/strategies/{record['id']}/finalise",
                               json={"revision": saved.json()["revision"]})
    assert finalised.status_code == 200, finalised.text
    told = session.exec(select(Notification).where(
        Notification.record_id == record["id"],
        Notification.organisation_id == school.organisation_id).order_by(Notification.id)).all()
    assert [(n.kind, n.email, n.recipient_id) for n in told] == [
        ("sent", "safeguarding@school.example", None), ("sent", "dsl@school.example", school.id)]
