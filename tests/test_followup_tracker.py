"""The actions tracker and the manager's page: counts on a crafted set of records whose
answers are known in advance; working-day due dates across Christmas and Easter."""

from datetime import date, datetime, timedelta

from app.config import get_settings
from app.domain.schema import StrategyRecordData, uk_now
from app.followup import service as followup
from app.followup.tracker import ActionQuery, manager_counts, open_actions
from app.records import service
from app.rules.due_dates import cancellation_update_due, edt_review_due, working_days_overdue
from tests.builders import complete_record, discussion_time
from tests.conftest import make_user, signed_in
from tests.html import soup


def test_edt_review_due_across_christmas_and_easter():
    settings = get_settings()
    # Christmas Eve 2025 (Wednesday) night: 25, 26 December are bank holidays, then a weekend.
    assert edt_review_due(datetime(2025, 12, 24, 22, 0), settings) == date(2025, 12, 29)
    # Maundy Thursday 2026: Good Friday and Easter Monday are bank holidays.
    assert edt_review_due(datetime(2026, 4, 2, 23, 30), settings) == date(2026, 4, 7)
    # Saturday night before an ordinary Monday.
    assert edt_review_due(datetime(2026, 3, 7, 1, 0), settings) == date(2026, 3, 9)
    assert cancellation_update_due(date(2026, 4, 3), settings) == date(2026, 4, 7)


def test_working_days_overdue_skip_bank_holidays():
    assert working_days_overdue(date(2025, 12, 24), date(2025, 12, 29)) == 1
    assert working_days_overdue(date(2026, 4, 2), date(2026, 4, 8)) == 2
    assert working_days_overdue(date(2026, 4, 8), date(2026, 4, 8)) == 0


def _record(session, user, *, team="Central", finalise=True, led_by="day_team",
            actions=None, referrer=None, review_due=None):
    body = complete_record()
    body["header"]["led_by"] = led_by
    if review_due:
        body["header"]["day_team_review_due"] = str(review_due)
    if actions is not None:
        body["actions"] = actions
    if referrer:
        body["grounds"] |= {"referrer_name": referrer, "referrer_informed_on": None,
                            "referrer_informed_how": None}
    record = service.create_record(session, data=StrategyRecordData.model_validate(body),
                                   team=team, created_by_id=user.id)
    if finalise:
        record = service.finalise_record(session, record=record,
                                         expected_revision=record.revision, finalised_by=user)
    return record


def test_manager_counts_on_a_crafted_set(session, anonymous):
    today = uk_now().date()
    # Due on the discussion day (the earliest the rules allow): overdue today.
    past, future = discussion_time().date(), today + timedelta(days=10)
    sw = make_user(session, "sam")
    north = make_user(session, "nia", team="North")
    manager = make_user(session, "mo", "manager")
    update_overdue = [{"kind": "update_agencies", "due_date": str(past)}]
    update_later = [{"kind": "update_agencies", "due_date": str(future)}]

    # Central: two awaiting authorisation (one with an overdue update action and an overdue
    # task), one authorised, one returned, one draft never finalised.
    a = _record(session, sw, actions=update_overdue + [
        {"description": "Visit", "owner": "SW", "due_date": str(past)}])
    _record(session, sw, actions=update_later, referrer="Ms Bell")
    c = _record(session, sw, actions=update_later)
    followup.authorise(session, c, manager, c.revision)
    d = _record(session, sw, actions=update_later)
    followup.return_record(session, d, manager, d.revision, "Add the school's view",
                           ["agency_position"])
    _record(session, sw, finalise=False)
    # EDT-led (another team's, counted for everyone): one review overdue, one done.
    edt = make_user(session, "eddie", "edt_worker", team="EDT")
    e = _record(session, edt, team="EDT", led_by="edt", actions=update_later,
                review_due=past)
    f = _record(session, edt, team="EDT", led_by="edt", actions=update_later,
                review_due=past)
    followup.record_edt_review(session, f, sw, f.revision, {
        "reviewed_by": "Sam", "reviewed_on": str(today), "checked": "All",
        "further_needed": "no"})
    # North: everything due and outstanding, none of it the Central manager's.
    _record(session, north, team="North", actions=update_overdue, referrer="Mr Lee")

    counts = manager_counts(session, manager)
    # a and b, and the EDT-led e and f (EDT records count for every manager).
    assert counts.awaiting_authorisation == 4
    assert counts.returned == 1
    assert counts.overdue_actions == 2
    assert counts.overdue_update_actions == 1
    assert (counts.edt_review, counts.edt_review_overdue) == (1, 1)
    assert counts.referrer_feedback == 1

    rows = open_actions(session, manager, ActionQuery(overdue=True)).rows
    assert [(r.record_id, r.kind) for r in rows] == [(a.id, "update_agencies"), (a.id, "task")]
    assert all(r.working_days_overdue >= 1 for r in rows)

    page = soup(signed_in(anonymous, session, manager).get("/manager"))
    assert page.select_one("#count-returned a")["href"] == "/queues/returned"
    assert page.select_one("#count-returned strong").get_text() == "1"
    queue = soup(anonymous.get("/queues/edt-review"))
    assert [a.get_text() for a in queue.select("#queue tbody a")] == [e.reference]


def test_tracker_filters_and_api(session, anonymous):
    today = uk_now().date()
    sw = make_user(session, "sam")
    r = _record(session, sw, actions=[
        {"kind": "update_agencies", "due_date": str(today + timedelta(days=3))},
        {"description": "Police interview", "owner": "DC Evans", "agency": "police",
         "due_date": str(discussion_time().date())},
        {"description": "Health check", "owner": "HV", "agency": "health_visiting",
         "due_date": str(today + timedelta(days=20))},
    ])
    client = signed_in(anonymous, session, sw)
    every = client.get("/api/actions").json()
    assert [a["description"] for a in every] == [
        "Police interview",
        "CSC will update all agencies involved on outcomes/actions taken by "
        f"{today + timedelta(days=3):%-d %B %Y}",
        "Health check"]
    assert every[0]["overdue"] is True and every[1]["overdue"] is False
    assert [a["owner"] for a in client.get("/api/actions?overdue=true").json()] == ["DC Evans"]
    assert [a["position"] for a in client.get("/api/actions?agency=health_visiting").json()] == [2]
    due_before = str(today + timedelta(days=5))
    assert len(client.get(f"/api/actions?due_before={due_before}").json()) == 2
    assert client.get("/api/actions?team=North").json() == []
    assert client.get("/api/actions?due_before=soon").status_code == 422
    page = soup(client.get("/actions?overdue=true"))
    assert [a.get_text() for a in page.select("#actions tbody a")] == [r.reference]
