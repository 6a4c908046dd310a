"""Builders for test records: a complete record, and small changes to it."""

from copy import deepcopy
from datetime import datetime, timedelta

from app.domain.choices import Agency
from app.domain.schema import StrategyRecordData, uk_now
from app.rules.workdays import add_working_days, is_working_day

# One standard organisation per partner agency type, which every test database holds
# (conftest's `engine` fixture), at ids no test creates by itself: "the police" in a test is
# Anytown-style "Police" at STANDARD_ORGANISATIONS["police"].
STANDARD_ORGANISATIONS = {agency.value: 9001 + index
                          for index, agency in enumerate(a for a in Agency if a != Agency.CSC)}


def recipients(*agencies: str) -> list[dict]:
    """A distribution list naming each agency type's standard organisation (children's social
    care owns the record and is never a recipient, so it is left out)."""
    return [{"organisation_id": STANDARD_ORGANISATIONS[a], "agency": a, "name": Agency(a).label,
             "contact_ids": []} for a in agencies if a != "csc"]


def discussion_time() -> datetime:
    """A recent working-day morning, so date rules behave the same whenever tests run."""
    day = (uk_now() - timedelta(days=3)).date()
    while not is_working_day(day):
        day -= timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0)


def observed_parts(at: datetime | None = None) -> dict:
    """What was observed of a child who cannot speak, as its parts (issue 22, item 3)."""
    at = at or discussion_time()
    return {
        "observed_care": "Bottle-fed every four hours by mother; clean nappy, sleeps in own cot",
        "observed_presentation": "Clean, alert and well dressed; no marks seen on face or hands",
        "observed_interaction": "Settled quickly in mother's arms and watched her face closely",
        "observed_by": "Sam Lee, Health Visitor",
        "observed_at": (at - timedelta(hours=2)).isoformat(),
    }


def complete_record() -> dict:
    """A record (JSON shape) that passes every blocking rule and every warning."""
    at = discussion_time()
    day = at.date()
    return {
        "header": {
            "concern_at": (at - timedelta(hours=5)).isoformat(),
            "discussion_at": at.isoformat(),
            "format": "in_person", "sequence": "first", "led_by": "day_team",
            "chair": "Priya Shah", "minute_taker": "Tom Reed",
            "csc_contact_name": "Jo Bell, Social Worker", "csc_contact_phone": "01632 960 555",
            "requested_by": "school", "request_reason": "Bruise seen at school",
        },
        "children": [{
            "key": "child1", "name": "Leo Carter", "person_id": "LCS1001",
            "date_of_birth": str(day.replace(year=day.year - 7)),
            "communication": "verbal", "seen": "yes",
            "seen_at": (at - timedelta(hours=2)).isoformat(), "seen_by": "DSL",
            "voice": "Leo said his dad grabbed him.",
        }],
        "grounds": {"summary": "Bruising to arm", "source": "School", "categories": ["physical"],
                    "referrer_kind": "professional", "referrer_name": "Ms Hill (DSL)",
                    "referrer_agency": "school", "referrer_informed_on": str(day),
                    "referrer_informed_how": "By phone"},
        "participants": [
            {"name": "Priya Shah", "agency": "csc", "role": "Team Manager", "mode": "in_person",
             "email": "priya@example.gov.uk"},
            {"name": "DC Evans", "agency": "police", "role": "DC", "mode": "video",
             "phone": "01632 960 202"},
            {"name": "Sam Lee", "agency": "health_visiting", "role": "Health Visitor",
             "mode": "phone_outside", "phone": "01632 960 303",
             "contributed_at": (at - timedelta(hours=1)).isoformat(), "relayed_by": "Priya Shah"},
        ],
        "agency_positions": [
            {"agency": "csc", "position": "has_concerns", "concerns": "Injury"},
            {"agency": "police", "position": "has_concerns", "concerns": "Domestic abuse"},
            {"agency": "health_visiting", "position": "no_concerns"},
        ],
        "analysis": {"risks": "Physical harm", "strengths": "Mother is protective"},
        "decision": {"outcome": "s47_joint", "reasons": "Reasonable cause to suspect harm",
                     "family_informed": "yes", "child_informed": "yes",
                     "family_detail": "SW to tell mother and the child at the joint visit",
                     "police_lead": "DC Evans", "crime_reference": "CR-2026-0411",
                     "abe_interview": "yes", "evidence_to_preserve": "School's notes",
                     "enquiry_conduct": "Joint visit tomorrow at 10:00, police lead the interview",
                     "legal_advice": "no", "cannot_see_contingency": "Police welfare check"},
        "actions": [
            {"kind": "update_agencies", "due_date": str(day + timedelta(days=5))},
            {"description": "Joint visit", "owner": "SW", "due_date": str(day)},
        ],
        "next_steps": {"icpc_date": str(add_working_days(day, 10))},
        "distribution": recipients("police", "health_visiting"),
    }


def record_with(**changes) -> StrategyRecordData:
    """The complete record with sections replaced or patched: header={"led_by": "edt"}."""
    raw = deepcopy(complete_record())
    for section, value in changes.items():
        if isinstance(value, dict) and isinstance(raw.get(section), dict):
            raw[section] = {**raw[section], **value}
        else:
            raw[section] = value
    return StrategyRecordData.model_validate(raw)


def create(client, body: dict | None = None) -> int:
    """Create a record through the API (the complete record by default); its id."""
    answer = client.post("/api/strategies", json=complete_record() if body is None else body)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def api_record(client, record_id: int) -> dict:
    """The record as the API reads it back."""
    answer = client.get(f"/api/strategies/{record_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def finalised_record(session, user, **changes):
    """The complete record (sections replaced by `changes`) created and finalised by `user`
    through the service, in team Central."""
    from app.followup import lifecycle as service

    body = complete_record() | changes
    record = service.create_record(session, data=StrategyRecordData.model_validate(body),
                                   team="Central", created_by_id=user.id)
    return service.finalise_record(session, record=record, expected_revision=record.revision,
                                   finalised_by=user)


def finalised_over_api(client, body: dict | None = None) -> int:
    """Create a record (the complete record by default) and finalise it through the API; its id."""
    created = client.post("/api/strategies", json=body or complete_record()).json()
    done = client.post(f"/api/strategies/{created['id']}/finalise",
                       json={"revision": created["revision"]})
    assert done.status_code == 200, done.text
    return created["id"]


def damage(session, record) -> None:
    """Write a document the schema refuses straight into the database, behind the service."""
    from sqlalchemy import update

    from app.records.models import StrategyRecord

    bad = {**record.data, "header": {**record.data["header"], "led_by": "night_shift"},
           "surprise": 1}
    session.execute(update(StrategyRecord).where(StrategyRecord.id == record.id).values(data=bad))
    session.commit()
    session.expire_all()
