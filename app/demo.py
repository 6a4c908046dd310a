"""Demo strategy records: a finalised joint s47 about two children (one a baby), an EDT-led
draft, an unborn baby's draft that is still missing things, and a school's request waiting
for social care; then, after the meeting, one returned by the manager with comments, and one
authorised, amended and finalised again (its version 1 superseded) with overdue actions."""

from datetime import timedelta

from sqlmodel import Session, select

from app.auth.models import User
from app.auth.roles import Role
from app.clock import uk_now
from app.db import get_engine
from app.domain.schema import StrategyRecordData
from app.followup import lifecycle
from app.followup import service as followup
from app.organisations import accounts
from app.organisations import service as directory
from app.records.models import StrategyRecord
from app.requests import service as requests
from app.requests.models import RequestData
from app.rules.workdays import add_working_days


def _joint_s47(now) -> dict:
    discussion = (now - timedelta(days=2)).replace(hour=10, minute=30)
    day = discussion.date()
    return {
        "header": {
            "concern_at": (discussion - timedelta(hours=20)).isoformat(),
            "discussion_at": discussion.isoformat(),
            "format": "mixed", "sequence": "first", "led_by": "day_team",
            "chair": "Priya Shah, Team Manager, Children's Social Care",
            "minute_taker": "Tom Reed, Business Support",
            "csc_contact_name": "Alex Morgan, Social Worker, Central Team",
            "csc_contact_phone": "01632 960 111",
            "requested_by": "school",
            "request_reason": "Bruising seen on Leo's upper arm at school; Leo said 'Dad grabbed me'.",
        },
        "children": [
            {"name": "Leo Carter", "person_id": "LCS204518", "nhs_number": "9434765919",
             "date_of_birth": str(day.replace(year=day.year - 7)),
             "communication": "verbal", "address": "14 Mill Lane, Anytown",
             "parental_responsibility": "Kelly Carter (mother), Dean Carter (father)",
             "household": "Kelly Carter (mother), Dean Carter (father), Mia Carter (sister)",
             "school": "Riverside Primary School", "gp": "Dr Ahmed, Anytown Surgery",
             "seen": "yes", "seen_at": (discussion - timedelta(hours=3)).isoformat(),
             "seen_by": "Designated safeguarding lead, Riverside Primary",
             "voice": "Leo said: 'Dad grabbed me when I spilt my drink. It hurt.' He asked if "
                      "he could stay at school for tea."},
            {"name": "Mia Carter", "person_id": "LCS204519", "date_of_birth": str(day - timedelta(days=240)),
             "communication": "pre_verbal", "address": "14 Mill Lane, Anytown",
             "household": "As Leo", "health_visitor": "Sam Lee, Anytown Health Visiting",
             "seen": "yes", "seen_at": (discussion - timedelta(days=1)).isoformat(),
             "seen_by": "Sam Lee, Health Visitor",
             "observed_care": "Seen at home: fed by bottle every four hours, clean nappy, "
                              "sleeps in her own cot in her parents' room.",
             "observed_presentation": "Clean and appropriately dressed, weight on the 25th "
                                      "centile, alert; no marks seen.",
             "observed_interaction": "Settled in her mother's arms and smiled at her; startled "
                                     "and cried when her father raised his voice.",
             "observed_by": "Sam Lee, Health Visitor",
             "observed_at": (discussion - timedelta(days=1)).isoformat()},
        ],
        "grounds": {
            "summary": "Leo (7) arrived at school with fingertip bruising to his upper left arm "
                       "and said his father grabbed him. Police attended a domestic incident "
                       "at the address three weeks ago.",
            "source": "Riverside Primary School (designated safeguarding lead)",
            "categories": ["physical", "emotional"],
            "referrer_kind": "professional",
            "referrer_name": "Ann Jones", "referrer_agency": "school",
            "referral_form": "Multi-agency referral form",
            "referrer_discussed_with": "Head teacher (deputy DSL)",
            "referrer_informed_on": str(day), "referrer_informed_how": "By phone",
            "images_taken": "no",
        },
        "participants": [
            {"name": "Priya Shah", "agency": "csc", "role": "Team Manager (chair)",
             "mode": "in_person", "phone": "01632 960 101", "email": "priya.shah@example.gov.uk"},
            {"name": "DC Mark Evans", "agency": "police", "role": "Detective Constable, CAIT",
             "mode": "video", "phone": "01632 960 202"},
            {"name": "Sam Lee", "agency": "health_visiting", "role": "Health Visitor",
             "mode": "phone_outside", "phone": "01632 960 303",
             "contributed_at": (discussion - timedelta(hours=1)).isoformat(),
             "relayed_by": "Priya Shah"},
            {"name": "Ann Jones", "agency": "school", "organisation": "Riverside Primary School",
             "role": "Designated safeguarding lead", "mode": "in_person",
             "email": "dsl@riverside.example.sch.uk"},
            {"name": "Dr Ahmed", "agency": "gp", "role": "GP", "mode": "email_outside",
             "email": "surgery@example.nhs.uk",
             "contributed_at": (discussion - timedelta(hours=2)).isoformat(),
             "relayed_by": "Priya Shah"},
        ],
        "agency_positions": [
            {"agency": "csc", "position": "has_concerns",
             "concerns": "Injury consistent with Leo's account; recent domestic incident."},
            {"agency": "police", "position": "has_concerns",
             "concerns": "Domestic incident three weeks ago; father known for assault in 2019."},
            {"agency": "health_visiting", "position": "has_concerns",
             "concerns": "Mia is well cared for but is exposed to shouting at home."},
            {"agency": "school", "position": "has_concerns",
             "concerns": "Leo's attendance has dropped to 86% this term."},
            {"agency": "gp", "position": "no_concerns"},
            {"agency": "housing", "position": "not_contacted",
             "not_contacted_reason": "Family own their home; no housing involvement."},
        ],
        "analysis": {
            "history": "No earlier s47 enquiries. One police call-out for a verbal argument.",
            "earlier_enquiries": "no",
            "risks": "Physical harm to Leo; emotional harm to both children from domestic abuse.",
            "strengths": "Mother is engaging and protective; Leo's school is a safe place for him.",
        },
        "decision": {
            "outcome": "s47_joint",
            "reasons": "Leo's account and the injury give reasonable cause to suspect significant "
                       "harm; the domestic incident raises risk to Mia.",
            "medical_needed": "yes",
            "medical_detail": "Child protection medical for Leo at Anytown Hospital today.",
            "family_informed": "yes", "child_informed": "yes",
            "family_detail": "Social worker to tell Kelly Carter today, after the medical, and "
                             "Leo with her, in words he understands.",
            "police_lead": "DC Mark Evans, CAIT, 01632 960 202", "crime_reference": "CR/2026/04417",
            "abe_interview": "yes",
            "evidence_to_preserve": "Medical findings and the school's written note of Leo's words.",
            "enquiry_conduct": "Police speak to Dean Carter after the ABE interview; the social "
                               "worker and DC Evans visit together today, police first.",
            "legal_advice": "no",
            "cannot_see_contingency": "If the family refuse access, police welfare check tonight "
                                      "and legal planning meeting tomorrow.",
        },
        "actions": [
            {"kind": "update_agencies", "due_date": str(day + timedelta(days=7)), "status": "open"},
            {"description": "Joint visit to the family home", "owner": "Social worker and DC Evans",
             "agency": "csc", "due_date": str(day), "status": "done"},
            {"description": "Child protection medical for Leo", "owner": "Duty paediatrician",
             "agency": "hospital", "due_date": str(day), "status": "done"},
        ],
        "next_steps": {"icpc_date": str(add_working_days(day, 12)),
                       "notes": "Review at the initial child protection conference."},
        # The organisations' ids are filled in once the directory exists (_with_recipients).
        "distribution": list(LEO_RECIPIENTS),
    }


# Leo's record goes to the police, his school, the health visitors and his GP practice: not to
# the other school, GP practice or the hospital, whose users can therefore not read it.
LEO_RECIPIENTS = ("Anytown Police", "Riverside Primary School", "Anytown Health Visiting Service",
                  "Market Street Surgery")


def _edt_draft(now) -> dict:
    discussion = (now - timedelta(hours=6)).replace(minute=0)
    return {
        "header": {
            "concern_at": (discussion - timedelta(hours=2)).isoformat(),
            "discussion_at": discussion.isoformat(),
            "format": "phone", "sequence": "first", "led_by": "edt",
            "chair": "Jon Price, EDT Senior Practitioner", "minute_taker": "Jon Price",
            "requested_by": "police",
            "request_reason": "Police called to a home where a 14-year-old was left alone for "
                              "two days.",
        },
        "children": [{"name": "Ellie Ward", "date_of_birth": str((now - timedelta(days=14 * 365 + 40)).date()),
                      "communication": "verbal"}],
        "grounds": {"summary": "Ellie was found alone at home with no food.",
                    "source": "Police", "categories": ["neglect"]},
        "participants": [
            {"name": "PC Amy Stone", "agency": "police", "role": "Response officer",
             "mode": "phone_outside", "phone": "01632 960 404",
             "contributed_at": discussion.isoformat()},
        ],
    }


def _unborn_draft(now) -> dict:
    return {
        "header": {"format": "video", "sequence": "first", "led_by": "day_team",
                   "requested_by": "midwifery"},
        "children": [{"name": "Unborn baby of Jade Hill", "unborn": True,
                      "expected_delivery_date": str((now + timedelta(weeks=12)).date()),
                      "gestation_weeks": 28, "communication": "pre_verbal",
                      "midwife": "Rosa Grant, Community Midwife",
                      "maternity_unit": "Anytown General maternity unit"}],
        "grounds": {"summary": "Mother disclosed heroin use at her booking appointment.",
                    "source": "Community midwife", "categories": ["neglect"]},
    }


def _school_request() -> dict:
    return {
        "children": [{"name": "Kai Morgan", "date_of_birth": "2017-09-14"}],
        "what_happened": "Kai has come to school hungry and in the same clothes all week; today "
                         "he said his mum has not been home since Sunday.",
        "why_significant_harm": "A 9-year-old who may be left alone at home for days.",
        "discussed_with_name": "Ann Jones", "discussed_with_role": "Designated safeguarding lead",
        "referral_form": "combined", "requester_role": "Designated safeguarding lead",
        "requester_phone": "01632 960 505",
    }


DEMO_PASSWORD = "demo-password"
DEMO_ORGANISATIONS = [
    # name, kind of agency, secure address for notices
    ("Anytown Police", "police", "mash@police.example"),
    ("Riverside Primary School", "school", None),
    ("Hillside Academy", "school", None),
    ("Market Street Surgery", "gp", None),
    ("Parkview Medical Centre", "gp", None),
    ("Anytown Health Visiting Service", "health_visiting", None),
    ("Anytown General Hospital", "hospital", None),
]
DEMO_USERS = [
    # username, name, role, organisation, team
    ("sw", "Sam Worker", Role.SOCIAL_WORKER, None, "Central"),
    ("edt", "Eddie Knight", Role.EDT_WORKER, None, "EDT"),
    ("manager", "Priya Shah", Role.MANAGER, None, "Central"),
    ("police", "DC Mark Evans", Role.PARTNER, "Anytown Police", None),
    ("school", "Ann Jones", Role.PARTNER, "Riverside Primary School", None),
    ("school2", "Ben Okafor", Role.PARTNER, "Hillside Academy", None),
    ("gp", "Dr Helen Price", Role.PARTNER, "Market Street Surgery", None),
    ("gp2", "Dr Omar Aziz", Role.PARTNER, "Parkview Medical Centre", None),
    ("hv", "Grace Lee", Role.PARTNER, "Anytown Health Visiting Service", None),
    ("hospital", "Dr Ruth Cole", Role.PARTNER, "Anytown General Hospital", None),
    ("admin", "Alex Admin", Role.ADMIN, None, None),
    ("partnership", "Pat Morgan", Role.PARTNERSHIP, None, None),
]


def _load_organisations(session: Session) -> dict[str, int]:
    if not directory.every(session):
        for name, agency, email in DEMO_ORGANISATIONS:
            directory.create(session, name=name, agency=agency, email=email)
    return {o.name: o.id for o in directory.every(session)}


def _load_users(session: Session, organisations: dict[str, int]) -> dict[str, int]:
    if session.exec(select(User.id).limit(1)).first() is None:
        for username, name, role, organisation, team in DEMO_USERS:
            accounts.create_user(session, username=username, display_name=name, role=role,
                                 password=DEMO_PASSWORD, team=team,
                                 organisation_id=organisations.get(organisation))
    return {user.username: user.id for user in session.exec(select(User))}


def _with_recipients(data: dict, organisations: dict[str, int]) -> dict:
    data["distribution"] = [organisations[name] for name in data.get("distribution", [])
                            if name in organisations]
    return data


def load_demo() -> str:
    """Load demo users and records into an empty database; say what was done."""
    with Session(get_engine()) as session:
        organisations = _load_organisations(session)
        users = _load_users(session, organisations)
        if session.exec(select(StrategyRecord.id).limit(1)).first() is not None:
            return "Records already exist: demo records not loaded."
        now = uk_now()
        finalised = lifecycle.create_record(
            session, data=StrategyRecordData.model_validate(
                _with_recipients(_joint_s47(now), organisations)),
            team="Central", created_by_id=users.get("sw"),
        )
        lifecycle.finalise_record(session, record=finalised, expected_revision=None)
        lifecycle.create_record(session, data=StrategyRecordData.model_validate(_edt_draft(now)),
                                team="EDT", created_by_id=users.get("edt"))
        lifecycle.create_record(session, data=StrategyRecordData.model_validate(_unborn_draft(now)),
                                team="Central", created_by_id=users.get("sw"))
        school = session.get(User, users.get("school"))
        if school is not None:
            requests.submit(session, school, RequestData.model_validate(_school_request()))
        _after_the_meeting(session, users, organisations, now)
    return (f"Loaded {len(DEMO_ORGANISATIONS)} partner organisations, demo users "
            f"({', '.join(u[0] for u in DEMO_USERS)}; password {DEMO_PASSWORD}), "
            "5 demo strategy records and a school's request.")


def _chaired_by_another_manager(now, *, overdue: bool) -> dict:
    data = _joint_s47(now)
    data["header"]["chair"] = "Jo Patel, Team Manager, Children's Social Care"
    # The chair took part; the demo manager did not, so she may authorise it.
    data["participants"][0] |= {"name": "Jo Patel", "email": "jo.patel@example.gov.uk"}
    if overdue:  # due on the discussion day, two days ago: overdue
        day = data["header"]["discussion_at"][:10]
        data["actions"][0]["due_date"] = day
        data["actions"][1] |= {"status": "open", "due_date": day}
    return data


def _after_the_meeting(session: Session, users: dict[str, int], organisations: dict[str, int],
                       now) -> None:
    sw, manager = session.get(User, users["sw"]), session.get(User, users["manager"])

    def finalised(data: dict) -> StrategyRecord:
        record = lifecycle.create_record(
            session, data=StrategyRecordData.model_validate(_with_recipients(data, organisations)),
            team="Central", created_by_id=sw.id)
        return lifecycle.finalise_record(session, record=record,
                                         expected_revision=record.revision, finalised_by=sw)

    returned = finalised(_chaired_by_another_manager(now, overdue=False))
    followup.return_record(session, returned, manager, returned.revision,
                           "Record the school's view of Leo before the decision, and who "
                           "will tell the referrer the outcome.",
                           ["agency_position", "distribution"])
    amended = finalised(_chaired_by_another_manager(now, overdue=True))
    amended = followup.authorise(session, amended, manager, amended.revision)
    amended = followup.amend(session, amended, sw, amended.revision,
                             "Mia's date of birth was recorded wrongly.")
    lifecycle.finalise_record(session, record=amended, expected_revision=amended.revision,
                              finalised_by=sw)
