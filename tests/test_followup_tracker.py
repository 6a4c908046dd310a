"""The actions tracker and the manager's page: counts on a crafted set of records whose
answers are known in advance; working-day due dates across Christmas and Easter."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select

from app.clock import uk_today
from app.config import get_settings
from app.domain.schema import StrategyRecordData, uk_now
from app.followup import entries, lifecycle
from app.followup import service as followup
from app.followup.models import TrackedAction
from app.rules.due_dates import cancellation_update_due, edt_review_due, working_days_overdue
from app.worklists import tracker
from app.worklists.tracker import ActionQuery, manager_counts, open_actions
from tests.builders import complete_record, discussion_time
from tests.conftest import make_user, signed_in
from tests.html import soup
from tests.shared_helpers import tracked_record


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
    a = tracked_record(session, sw, actions=update_overdue + [
        {"description": "Visit", "owner": "SW", "due_date": str(past)}])
    tracked_record(session, sw, actions=update_later, referrer="Ms Bell")
    c = tracked_record(session, sw, actions=update_later)
    followup.authorise(session, c, manager, c.revision)
    d = tracked_record(session, sw, actions=update_later)
    followup.return_record(session, d, manager, d.revision, "Add the school's view",
                           ["agency_position"])
    tracked_record(session, sw, finalise=False)
    # EDT-led (another team's, counted for everyone): one review overdue, one done.
    edt = make_user(session, "eddie", "edt_worker", team="EDT")
    e = tracked_record(session, edt, team="EDT", led_by="edt", actions=update_later,
                review_due=past)
    f = tracked_record(session, edt, team="EDT", led_by="edt", actions=update_later,
                review_due=past)
    entries.record_edt_review(session, f, sw, f.revision, {
        "reviewed_by": "Sam", "reviewed_on": str(today), "checked": "All",
        "further_needed": "no"})
    # North: everything due and outstanding, none of it the Central manager's.
    tracked_record(session, north, team="North", actions=update_overdue, referrer="Mr Lee")

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
    r = tracked_record(session, sw, actions=[
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


def test_working_days_overdue_from_the_calendar_table_match_the_rule(session):
    """The SQL count (working_day numbers) agrees with the Python rule, bank holidays and
    weekends included, for due dates around Christmas, Easter and a year back."""
    from sqlalchemy import select

    from app.rules import calendar
    from app.rules.calendar import WorkingDay, working_days_since

    today = date(2026, 4, 8)
    dues = [date(2025, 12, 24), date(2025, 12, 25), date(2026, 4, 2), date(2026, 4, 3),
            date(2026, 4, 8), date(2026, 4, 9), date(2025, 4, 8)]
    number = calendar.number_of(session, today)
    for due in dues:
        found = session.execute(select(working_days_since(WorkingDay.day, number)).where(
            WorkingDay.day == due)).scalar_one()
        assert found == working_days_overdue(due, today), due


def test_the_tracker_pages_in_its_order(session, anonymous):
    """Overdue update actions, overdue tasks, then the rest by due date, undated last: the
    same order a page at a time, each page a few queries whatever the number of actions."""
    today = uk_now().date()
    past = discussion_time().date()
    sw = make_user(session, "sam")
    tasks = [{"description": f"Task {i}", "owner": "SW", "due_date": str(past)} for i in range(3)]
    later = [{"description": "Later", "owner": "SW", "due_date": str(today + timedelta(days=9))},
             {"description": "Medical today", "owner": "SW", "due_date": str(today)}]
    tracked_record(session, sw, actions=[{"kind": "update_agencies", "due_date": str(past)}] + tasks)
    tracked_record(session, sw, actions=[{"kind": "update_agencies",
                                   "due_date": str(today + timedelta(days=3))}] + later)
    whole = open_actions(session, sw, ActionQuery())
    assert whole.next_cursor is None
    descriptions = [row.description for row in whole.rows]
    assert [row.kind for row in whole.rows][:1] == ["update_agencies"]
    assert descriptions[1:4] == ["Task 0", "Task 1", "Task 2"]
    # Then by due date whatever the kind: the medical due today before the update due in 3 days.
    assert descriptions[4] == "Medical today"
    assert [row.kind for row in whole.rows][5] == "update_agencies"
    assert descriptions[6:] == ["Later"]
    assert all(row.working_days_overdue >= 1 for row in whole.rows[:4])
    assert all(row.working_days_overdue == 0 for row in whole.rows[4:])
    paged, query = [], ActionQuery()
    while True:
        page = open_actions(session, sw, query, page_size=2)
        paged += page.rows
        if page.next_cursor is None:
            break
        query = ActionQuery(after=page.next_cursor)
    assert [row.id for row in paged] == [row.id for row in whole.rows]
    client = signed_in(anonymous, session, sw)
    first = soup(client.get("/actions"))
    assert len(first.select("#actions tbody tr")) == 7
    assert first.select_one("a[rel=next]") is None
    assert client.get("/actions?after=nonsense").status_code == 422
    answer = client.get("/api/actions?limit=4")
    assert [a["description"] for a in answer.json()] == descriptions[:4]
    following = answer.headers["Link"].split(";")[0].strip("<>")
    assert [a["description"] for a in client.get(following).json()] == descriptions[4:]


def test_queues_page_with_next_and_previous(session, anonymous):
    sw = make_user(session, "sam")
    manager = make_user(session, "mo", "manager")
    ids = [tracked_record(session, sw).id for _ in range(3)]
    from app.worklists.tracker import queue
    first = queue(session, manager, "awaiting-authorisation", page_size=2)
    assert [r.id for r in first.items] == ids[:2] and first.previous_cursor is None
    second = queue(session, manager, "awaiting-authorisation", after=first.next_cursor,
                   page_size=2)
    assert [r.id for r in second.items] == ids[2:] and second.next_cursor is None
    back = queue(session, manager, "awaiting-authorisation", before=second.previous_cursor,
                 page_size=2)
    assert [r.id for r in back.items] == ids[:2]
    client = signed_in(anonymous, session, manager)
    page = soup(client.get("/queues/awaiting-authorisation"))
    assert [a.get_text() for a in page.select("#queue tbody a")] == [
        r.reference for r in first.items + second.items]
    assert client.get("/queues/awaiting-authorisation?after=x").status_code == 422


def test_the_managers_counts_stop_at_the_cap(session, anonymous, monkeypatch):
    from app.worklists import tracker

    past = discussion_time().date()
    sw = make_user(session, "sam")
    manager = make_user(session, "mo", "manager")
    for _ in range(3):
        tracked_record(session, sw, actions=[
            {"kind": "update_agencies", "due_date": str(uk_now().date() + timedelta(days=10))},
            {"description": "Visit", "owner": "SW", "due_date": str(past)}])
    assert manager_counts(session, manager).overdue_actions == 3
    assert manager_counts(session, manager, cap=2).overdue_actions == 3  # cap + 1: "more than"
    assert manager_counts(session, manager, cap=2).awaiting_authorisation == 3
    monkeypatch.setattr(tracker, "COUNT_CAP", 2)
    page = soup(signed_in(anonymous, session, manager).get("/manager"))
    assert page.select_one("#count-overdue strong").get_text() == "more than 2"
    assert page.select_one("#count-returned strong").get_text() == "0"


@pytest.mark.parametrize(("cap", "updates", "others"), [
    (2, 2, 1), (2, 3, 0), (2, 1, 1), (2, 1, 3), (2, 0, 3), (2, 2, 0), (5, 3, 3), (5, 3, 2),
    (5, 0, 0)])
def test_overdue_counts_are_the_capped_counts_of_all_and_of_the_update_actions(
        session, cap, updates, others):
    """The update actions are counted first and the others only up to what the cap leaves:
    the answers are still each count stopped at cap + 1, at the cap and either side of it."""
    past = str(discussion_time().date())
    future = str(uk_now().date() + timedelta(days=10))
    sw = make_user(session, "sam")
    manager = make_user(session, "mo", "manager")
    for _ in range(updates):
        tracked_record(session, sw, actions=[
            {"kind": "update_agencies", "due_date": past},
            {"description": "Visit", "owner": "SW", "due_date": future}])
    tracked_record(session, sw, actions=[
        {"kind": "update_agencies", "due_date": future},
        *({"description": f"Visit {n}", "owner": "SW", "due_date": past}
          for n in range(others))])
    counts = manager_counts(session, manager, cap=cap)
    assert (counts.overdue_actions, counts.overdue_update_actions) == (
        min(updates + others, cap + 1), min(updates, cap + 1))


def test_a_count_of_one_is_worded_for_one_and_others_for_many(session, anonymous):
    past = str(discussion_time().date())
    sw, manager = make_user(session, "sam"), make_user(session, "mo", "manager")
    # One overdue update action; it and a visit make two overdue actions.
    tracked_record(session, sw, actions=[
        {"kind": "update_agencies", "due_date": past},
        {"description": "Visit", "owner": "SW", "due_date": past}])
    page = soup(signed_in(anonymous, session, manager).get("/manager"))

    def said(count_id):
        return page.select_one(f"#{count_id}").get_text(" ", strip=True)

    assert said("count-update-overdue") == "1 overdue update-all-agencies action"
    assert said("count-overdue") == "2 overdue actions"
    assert said("count-referrer") == "0 referrers not yet told the outcome"


def test_drafts_never_finalised_are_counted_and_queued_with_the_stale_ones_apart(session,
                                                                                  anonymous):
    sw, north = make_user(session, "sam"), make_user(session, "nia", team="North")
    manager = make_user(session, "mo", "manager")
    stale_days = get_settings().draft_stale_days

    def draft(user, days_ago, team="Central"):
        body = complete_record()
        at = uk_now().replace(tzinfo=None, second=0, microsecond=0) - timedelta(days=days_ago)
        body["header"] |= {"discussion_at": at.isoformat(),
                           "concern_at": (at - timedelta(hours=5)).isoformat()}
        return lifecycle.create_record(session, data=StrategyRecordData.model_validate(body),
                                       team=team, created_by_id=user.id)

    fresh, edge, stale, older = (draft(sw, stale_days - 1), draft(sw, stale_days),
                                 draft(sw, stale_days + 1), draft(sw, 3 * stale_days))
    draft(north, 30, team="North")  # another team's
    returned = tracked_record(session, sw)
    followup.return_record(session, returned, manager, returned.revision, "Add the GP",
                           ["agency_position"])  # in the returned queue, not this one
    tracked_record(session, sw)  # finalised

    counts = manager_counts(session, manager)
    # Exactly stale_days ago (to the minute) is not yet "more than" stale_days ago.
    assert (counts.drafts, counts.drafts_stale) == (4, 2)
    client = signed_in(anonymous, session, manager)
    page = soup(client.get("/manager"))
    assert page.select_one("#count-drafts a")["href"] == "/queues/drafts"
    assert page.select_one("#count-drafts").get_text(" ", strip=True) == (
        f"4 drafts not yet finalised (2 from more than {stale_days} days ago)")
    queue = soup(client.get("/queues/drafts"))
    assert [a.get_text() for a in queue.select("#queue tbody a")] == [
        older.reference, stale.reference, edge.reference, fresh.reference]


def _row(due, working_days_overdue) -> tracker.TrackedRow:
    return tracker.TrackedRow(id=1, record_id=1, reference="SR-2026-00001", position=0,
                              kind="task", description="Visit", owner=None, agency=None,
                              team=None, due_date=due, working_days_overdue=working_days_overdue)


def test_how_late_an_action_is_reads_in_working_days_and_never_as_zero():
    today = uk_today()
    assert _row(today - timedelta(days=9), 2).overdue_by == "Overdue 2 working days"
    assert _row(today - timedelta(days=1), 1).overdue_by == "Overdue 1 working day"
    # Due on Friday, read on Saturday: past its date, with no working day gone yet.
    assert _row(today - timedelta(days=1), 0).overdue_by == "Overdue"
    assert _row(today, 0).overdue_by == ""
    assert _row(None, 0).overdue_by == ""


def test_the_overdue_update_count_reads_the_open_actions_of_its_kind(session, engine):
    """At 100,000 records four in five overdue open actions are of another kind or an earlier
    version, so the manager's count reads the index of open actions in force by kind
    (migration 0030). A database uses a partial index only when the query's conditions imply
    its own (SQLite: hold them term for term). With the other indexes of open actions taken
    away, in a transaction rolled back, the count's plan shows they do."""
    sw = make_user(session, "sam")
    manager = make_user(session, "mo", "manager")
    past = str(discussion_time().date())
    for _ in range(3):
        tracked_record(session, sw, actions=[
            {"kind": "update_agencies", "due_date": past},
            {"description": "Visit", "owner": "SW", "due_date": past}])
    statement = tracker.overdue_update_actions(manager, uk_today())
    counted = select(func.count()).select_from(statement.limit(tracker.COUNT_CAP + 1).subquery())
    sql = str(counted.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    connection = session.connection()
    try:
        # Closed actions in their thousands, as at full size, so that reading any whole index
        # costs the planner what it costs there (and begins SQLite's transaction).
        columns = [c.name for c in TrackedAction.__table__.c if c.name not in ("id", "position")]
        copied = ["'done'" if name == "status" else name for name in columns]
        connection.exec_driver_sql(
            f"INSERT INTO tracked_action (position, {', '.join(columns)}) SELECT "
            f"position * 10000 + 1000 + n, {', '.join(copied)} FROM tracked_action, "
            f"(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 1000) "
            f"SELECT n FROM s) AS copies")
        for index in ("ix_tracked_action_open", "ix_tracked_action_open_due",
                      "ix_tracked_action_team_open", "ix_tracked_action_kind_discussion"):
            connection.exec_driver_sql(f"DROP INDEX {index}")
        connection.exec_driver_sql("ANALYZE tracked_action")
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))
        else:
            plan = "\n".join(row[-1] for row in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {sql}"))
    finally:
        session.rollback()
    assert "ix_tracked_action_open_kind" in plan, plan
    assert session.execute(counted).scalar_one() == 3
    # Rolled back: the indexes taken away are there again.
    names = {index["name"] for index in inspect(engine).get_indexes("tracked_action")}
    assert {"ix_tracked_action_open", "ix_tracked_action_kind_discussion"} <= names
