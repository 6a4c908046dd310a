"""A crafted set of records for the live audit, whose answers are worked out by hand, with the
edge cases: a bank-holiday weekend before an EDT review, an EDT record reviewed a day late, a
record amended after the period, a returned record, a draft, another team's record and
records outside the period; and requests from two agencies."""

from copy import deepcopy
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import update

from app.clock import UK
from app.domain.schema import StrategyRecordData
from app.followup import entries, lifecycle
from app.followup import service as followup
from app.records.models import StrategyRecord
from app.requests import service as requests
from app.requests.models import DeclineData, RequestData, StrategyRequest
from app.rules.workdays import add_working_days
from tests.builders import complete_record, observed_parts, recipients
from tests.conftest import make_user

PERIOD = (date(2026, 1, 1), date(2026, 6, 30))
OBSERVED = ("Ava was alert and settled in her mother's arms, fed well during the visit and "
            "her cot and feeds were well prepared.")


def dated(at: datetime, **changes) -> StrategyRecordData:
    """The complete record, held at `at`, with sections patched as record_with does."""
    raw = deepcopy(complete_record())
    day = at.date()
    raw["header"] |= {"concern_at": (at - timedelta(hours=5)).isoformat(),
                      "discussion_at": at.isoformat()}
    raw["children"][0] |= {"date_of_birth": str(day.replace(year=day.year - 7)),
                           "seen_at": (at - timedelta(hours=2)).isoformat()}
    raw["grounds"]["referrer_informed_on"] = str(day)
    raw["participants"][2]["contributed_at"] = (at - timedelta(hours=1)).isoformat()
    raw["actions"] = [{"kind": "update_agencies", "due_date": str(day + timedelta(days=3))},
                      {"description": "Joint visit", "owner": "SW", "due_date": str(day)}]
    raw["next_steps"] = {"icpc_date": str(add_working_days(day, 10))}
    for section, value in changes.items():
        if isinstance(value, dict) and isinstance(raw.get(section), dict):
            raw[section] = {**raw[section], **value}
        else:
            raw[section] = value
    # Validated as a stored document: these discussions are months old, and an unborn
    # child's delivery date has since passed.
    return StrategyRecordData.model_validate(raw, context={"stored": True})


class World:
    def __init__(self, session):
        self.session = session
        self.sw = make_user(session, "sam", team="North")
        self.south = make_user(session, "sid", team="South")
        self.edt = make_user(session, "eve", "edt_worker", team="EDT")
        self.manager = make_user(session, "mo", "manager", team="North")
        self.school = make_user(session, "sch", "partner", agency="school")
        self.police = make_user(session, "pc", "partner", agency="police")
        self.ids: dict[str, int] = {}

    def finalised(self, name: str, data: StrategyRecordData, by=None) -> StrategyRecord:
        by = by or self.sw
        record = lifecycle.create_record(self.session, data=data, team=by.team,
                                         created_by_id=by.id)
        record = lifecycle.finalise_record(self.session, record=record,
                                           expected_revision=record.revision, finalised_by=by)
        self.ids[name] = record.id
        return record

    def action_done(self, record, position: int, done_on: date):
        return entries.record_action(
            self.session, record, self.sw, record.revision, entries.ActionProgress(
                position=position, outcome="done", note="Rang each agency", done_on=done_on,
                updated=tuple(r.organisation_id for r in record.content.distribution),
                how="Phone"))


def _edt(at: datetime) -> dict:
    return {"led_by": "edt", "concern_at": (at - timedelta(hours=5)).isoformat(),
            "discussion_at": at.isoformat()}


@pytest.fixture
def world(session):
    w = World(session)
    # A: January, everything on time, authorised.
    a = w.finalised("A", dated(datetime(2026, 1, 14, 10)))
    a = w.action_done(a, 0, date(2026, 1, 16))  # due 17 January
    followup.authorise(session, a, w.manager, a.revision)
    # B: February, a school not contacted (with a reason); update done late; returned once.
    b = w.finalised("B", dated(datetime(2026, 2, 10, 10), agency_positions=[
        *complete_record()["agency_positions"],
        {"agency": "school", "position": "not_contacted", "not_contacted_reason": "Half term"}]))
    b = followup.return_record(session, b, w.manager, b.revision, "Add the  chronology",
                               ["decision", "factual_error"])
    b = lifecycle.finalise_record(session, record=b, expected_revision=b.revision,
                                  finalised_by=w.sw)
    w.action_done(b, 0, date(2026, 2, 20))  # due 13 February
    # C: March, a baby who cannot speak, a further discussion later cancelled; nothing done.
    baby = {**complete_record()["children"][0], "name": "Ava Carter", "voice": None,
            "date_of_birth": "2025-12-01", "communication": "pre_verbal",
            **observed_parts(datetime(2026, 3, 3, 10))}
    c = w.finalised("C", dated(datetime(2026, 3, 3, 10), children=[baby],
                               decision={"outcome": "further_strategy"},
                               next_steps={"next_discussion_on": "2026-03-10"}))
    entries.cancel_further_discussion(session, c, w.sw, c.revision, "Family moved away")
    # D: EDT on Good Friday night; reviewed on the next working day (Tuesday after Easter
    # Monday), on time; the alleged person is not recorded (a warning).
    d_at = datetime(2026, 4, 3, 22)
    d = w.finalised("D", dated(d_at, header=_edt(d_at),
                               grounds={"alleged_name": "Mark Carter"}), by=w.edt)
    assert d.review_due == date(2026, 4, 7)
    _review(session, d, w.sw, date(2026, 4, 7))
    # E: EDT on a Friday night; reviewed on Tuesday, a day late.
    e_at = datetime(2026, 4, 10, 21)
    e = w.finalised("E", dated(e_at, header=_edt(e_at)), by=w.edt)
    assert e.review_due == date(2026, 4, 13)
    _review(session, e, w.sw, date(2026, 4, 14))
    # F: May, an unborn child at 33 weeks with the conference ten working days on (35 weeks:
    # late);
    # amended after the period so the version in force has no contribution outside the meeting.
    unborn = {"key": "child1", "name": "Baby Carter", "unborn": True, "gestation_weeks": 33,
              "expected_delivery_date": "2026-06-25", "observations": OBSERVED}
    positions = [*complete_record()["agency_positions"],
                 {"agency": "midwifery", "position": "has_concerns", "concerns": "Late booking"}]
    f = w.finalised("F", dated(datetime(2026, 5, 12, 10), children=[unborn],
                               agency_positions=positions,
                               distribution=recipients("csc", "police", "health_visiting", "midwifery")))
    f = followup.amend(session, f, w.sw, f.revision, "The health visitor was at the meeting")
    amended = f.content.model_dump(mode="json")
    amended["participants"][2] |= {"mode": "in_person", "contributed_at": None}
    f = lifecycle.save_record(session, record=f, data=StrategyRecordData.model_validate(
                                amended, context={"stored": True}),
                              expected_revision=f.revision)
    lifecycle.finalise_record(session, record=f, expected_revision=f.revision, finalised_by=w.sw)
    # G: June, the referrer told five days later, by follow-up.
    g = w.finalised("G", dated(datetime(2026, 6, 20, 10),
                               grounds={"referrer_informed_on": None,
                                        "referrer_informed_how": None}))
    assert g.referrer_feedback_due
    entries.record_referrer_told(session, g, w.sw, g.revision, {
        "told_by": "Sam", "told_on": "2026-06-25", "how": "Phone"})
    # Not counted: a draft, another team's record (only without a team filter), and records
    # outside the period.
    draft = lifecycle.create_record(session, data=dated(datetime(2026, 3, 20, 10)), team="North",
                                    created_by_id=w.sw.id)
    w.ids["draft"] = draft.id
    w.finalised("S", dated(datetime(2026, 6, 1, 10)), by=w.south)
    w.finalised("before", dated(datetime(2025, 12, 20, 10)))
    w.finalised("after", dated(datetime(2026, 7, 2, 10)))
    # Requests: two from the school (one convened, one decided late), one from the police
    # (declined), one waiting.
    _requests(session, w)
    return w


def _review(session, record, user, on: date):
    entries.record_edt_review(session, record, user, record.revision, {
        "reviewed_by": "Day team manager", "reviewed_on": on.isoformat(),
        "checked": "Participants and positions", "further_needed": "no"})


def _request(session, user) -> StrategyRequest:
    return requests.submit(session, user, RequestData.model_validate({
        "children": [{"name": "Leo Carter"}], "what_happened": "Bruise",
        "why_significant_harm": "Unexplained injury", "referral_form": "phone"}))


def _at(session, req, created: datetime, triaged: datetime | None):
    """The request as if made at `created` and decided at `triaged` (UK times)."""
    created, triaged = (moment.replace(tzinfo=UK) if moment else None
                        for moment in (created, triaged))
    req.created_at = created
    session.execute(update(StrategyRequest).where(StrategyRequest.id == req.id).values(
        created_at=created, triaged_at=triaged,
        triaged_in_time=requests.decided_in_time(req, triaged) if triaged else None))
    session.commit()


def _requests(session, w):
    first = _request(session, w.school)
    w.ids["convened"] = requests.convene(session, w.sw, first).id
    _at(session, first, datetime(2026, 2, 2, 9), datetime(2026, 2, 2, 13))
    late = _request(session, w.school)
    w.ids["convened late"] = requests.convene(session, w.sw, late).id
    _at(session, late, datetime(2026, 3, 2, 9), datetime(2026, 3, 6, 9))  # Monday to Friday
    declined = _request(session, w.police)
    requests.decline(session, w.sw, declined, DeclineData(reason="Single-agency response"))
    _at(session, declined, datetime(2026, 4, 1, 9), datetime(2026, 4, 1, 15))
    waiting = _request(session, w.police)
    _at(session, waiting, datetime(2026, 5, 1, 9), None)
