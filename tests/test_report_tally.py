"""The live audit's kept months (app/reports/tally.py, migration 0025's triggers): a report
reads the counts of months nothing has changed, recounts the others, and always answers what
counting every row afresh answers, whatever was written, by whom, and in which order.

Rows are written directly, as in tests/test_figure_boundaries.py: the triggers must see every
write to a counted table, whichever code makes it."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlmodel import Session, SQLModel

from app.followup import lifecycle
from app.followup.measure_table import RecordMeasure
from app.followup.models import FollowUpEntry, TrackedAction
from app.records.models import StrategyRecord
from app.reports import breakdowns, tally
from app.reports.families import Scope
from app.reports.tally_tables import ReportTally
from app.requests.models import StrategyRequest
from app.sending.models import RecordReceipt
from tests.builders import STANDARD_ORGANISATIONS, record_with
from tests.conftest import make_user
from tests.fresh_count import report
from tests.shared_helpers import statements_run

TODAY = date(2026, 6, 15)
PERIOD = Scope(date(2026, 2, 10), date(2026, 5, 20), today=TODAY)
DAYS = [date(2026, 1, 31), date(2026, 2, 9), date(2026, 2, 10), date(2026, 3, 1),
        date(2026, 3, 31), date(2026, 4, 15), date(2026, 5, 20), date(2026, 5, 21)]
COUNTED_TABLES = ("record_measure", "tracked_action", "record_receipt", "strategy_request",
                  "followup_entry")


def _fresh(session: Session, scope: Scope) -> dict:
    """The report counted from every row, as it was before months were kept."""
    return _shape(report(session, scope), breakdowns.return_reasons(session, scope),
                  breakdowns.referrer_days(session, scope), breakdowns.triage_hours(session, scope))


def _kept(session: Session, scope: Scope) -> dict:
    found = tally.counted(session, scope)
    return _shape(found.results, found.reasons, found.referrer, found.triage)


def _shape(results, reasons, referrer, triage) -> dict:
    def pair(count):
        return count.numerator, count.denominator
    return {"figures": {r.figure.id: (pair(r.total), {m: pair(c) for m, c in r.months.items()},
                                      {p: pair(c) for p, c in r.parts.items()})
                        for r in results},
            "reasons": (reasons.returns, {k: v for k, v in reasons.counts.items() if v}),
            "referrer": (referrer.value, referrer.over), "triage": (triage.value, triage.over)}


def _differences(kept: dict, fresh: dict) -> dict:
    return {name: (kept["figures"].get(name), value) for name, value in fresh["figures"].items()
            if kept["figures"].get(name) != value} | {
        name: (kept[name], fresh[name]) for name in ("reasons", "referrer", "triage")
        if kept[name] != fresh[name]}


def _world(session: Session) -> list[int]:
    """Four records across the period's months with an action, a receipt, a return and a
    request each."""
    user = make_user(session, "sam", team="North")
    ids = [lifecycle.create_record(session, data=record_with(), team="North",
                                   created_by_id=user.id).id for _ in range(4)]
    for i, record_id in enumerate(ids):
        day = DAYS[2 + i]
        session.add(RecordMeasure(record_id=record_id, version=1, discussion_on=day,
                                  team="North" if i % 2 else "South",
                                  led_by="edt" if i % 2 else "day_team", sent_late=i == 1,
                                  m_referrer_told=True, referrer_told_on=day + timedelta(days=i),
                                  m_icpc_within_limit=i != 2, returned=i == 3,
                                  m_no_warnings=i != 0, review_due=day + timedelta(days=2),
                                  reviewed_on=day + timedelta(days=i)))
        session.add(TrackedAction(record_id=record_id, version=1, position=0,
                                  kind="update_agencies", description="Update all agencies",
                                  status="open" if i % 2 else "done", due_date=day,
                                  done_on=None if i % 2 else day, discussion_on=day,
                                  team="North" if i % 2 else "South",
                                  led_by="edt" if i % 2 else "day_team", in_force=True))
        session.add(RecordReceipt(record_id=record_id, version=1,
                                  organisation_id=STANDARD_ORGANISATIONS["police"],
                                  agency="police", discussion_on=day,
                                  sent_at=datetime.combine(day, datetime.min.time(), UTC),
                                  first_opened_at=None))
        session.add(FollowUpEntry(record_id=record_id, version=1, kind="returned",
                                  at=datetime(2026, 3, 1, tzinfo=UTC), by_name="Mo",
                                  details={"reasons": ["missing_information"] if i else []}))
        session.add(StrategyRequest(agency="school", created_by_id=user.id, status="declined",
                                    created_at=datetime.combine(day, datetime.min.time(), UTC),
                                    triaged_at=datetime.combine(day, datetime.min.time(), UTC)
                                    + timedelta(hours=3 * i + 1), triaged_in_time=i != 0,
                                    data={}))
    session.commit()
    return ids


# The whole report, one team's and one kind of lead's.
SCOPES = {"all": {}, "North": {"team": "North"}, "EDT-led": {"led_by": "edt"}}


def _both(session: Session) -> dict:
    return {name: _kept(session, Scope(PERIOD.start, PERIOD.end, today=TODAY, **narrowed))
            for name, narrowed in SCOPES.items()}


def _both_fresh(session: Session) -> dict:
    return {name: _fresh(session, Scope(PERIOD.start, PERIOD.end, today=TODAY, **narrowed))
            for name, narrowed in SCOPES.items()}


# One change to each counted column of the second record's rows (discussed on 1 March, led
# by EDT, team North), each of which changes what the report shows.
EVERY_COLUMN = [
    (RecordMeasure, "discussion_on", date(2026, 4, 15)), (RecordMeasure, "team", "South"),
    (RecordMeasure, "led_by", "day_team"), (RecordMeasure, "version", 2),
    (RecordMeasure, "sent_late", False), (RecordMeasure, "authorised", True),
    (RecordMeasure, "returned", True), (RecordMeasure, "amended", True),
    (RecordMeasure, "m_icpc_within_limit", False), (RecordMeasure, "m_no_warnings", False),
    (RecordMeasure, "m_referrer_told", False), (RecordMeasure, "referrer_told_on", date(2026, 3, 20)),
    (RecordMeasure, "review_due", date(2026, 3, 1)), (RecordMeasure, "reviewed_on", date(2026, 3, 9)),
    (TrackedAction, "status", "done"), (TrackedAction, "kind", "task"),
    (TrackedAction, "due_date", date(2026, 7, 1)), (TrackedAction, "discussion_on", date(2026, 1, 1)),
    (TrackedAction, "in_force", False), (TrackedAction, "team", "South"),
    (TrackedAction, "led_by", "day_team"),
    (RecordReceipt, "first_opened_at", datetime(2026, 3, 2, 9, tzinfo=UTC)),
    (RecordReceipt, "sent_at", datetime(2026, 6, 15, 9, tzinfo=UTC)),
    (RecordReceipt, "agency", "school"), (RecordReceipt, "discussion_on", date(2026, 1, 1)),
    (RecordReceipt, "version", 2),
    (StrategyRequest, "created_at", datetime(2026, 4, 15, 9, tzinfo=UTC)),
    (StrategyRequest, "status", "awaiting"), (StrategyRequest, "triaged_in_time", False),
    (StrategyRequest, "triaged_at", datetime(2026, 3, 9, 9, tzinfo=UTC)),
    (StrategyRequest, "agency", "police"),
    (FollowUpEntry, "kind", "authorised"), (FollowUpEntry, "details", {"reasons": ["other"]}),
]


@pytest.mark.parametrize(("table", "column", "value"), EVERY_COLUMN,
                         ids=[f"{t.__tablename__}.{c}" for t, c, _ in EVERY_COLUMN])
def test_a_change_to_any_counted_column_is_counted_at_once(session, table, column, value):
    _world(session)
    before = _both(session)
    session.commit()
    _apply(session, ("change", table, 1, (column, value)))
    assert _both_fresh(session) != before  # the change shows in the figures
    assert _both(session) == _both_fresh(session)


def _instant(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 30, tzinfo=UTC)


# What may change on each counted table: (column, values it may take). An action's and a
# receipt's copy of the discussion day moves with the record's (see _apply).
DATES = st.sampled_from(DAYS)
CHANGES = {
    RecordMeasure: {
        "discussion_on": DATES, "team": st.sampled_from(["North", "South", None]),
        "led_by": st.sampled_from(["edt", "day_team"]), "sent_late": st.sampled_from([True, False, None]),
        "authorised": st.booleans(), "returned": st.booleans(), "amended": st.booleans(),
        "m_icpc_within_limit": st.sampled_from([True, False, None]),
        "referrer_told_on": st.one_of(st.none(), DATES), "review_due": st.one_of(st.none(), DATES),
        "reviewed_on": st.one_of(st.none(), DATES), "version": st.sampled_from([1, 2])},
    TrackedAction: {
        "status": st.sampled_from(["open", "done", "cancelled", "superseded"]),
        "kind": st.sampled_from(["update_agencies", "cancellation_update", "task"]),
        "done_on": st.one_of(st.none(), DATES), "due_date": st.one_of(st.none(), DATES),
        "version": st.sampled_from([1, 2])},
    RecordReceipt: {
        "first_opened_at": st.one_of(st.none(), st.builds(_instant, DATES, st.just(9))),
        "sent_at": st.builds(_instant, DATES, st.sampled_from([0, 22, 23])),
        "agency": st.sampled_from(["police", "school"]), "version": st.sampled_from([1, 2])},
    StrategyRequest: {
        # 22:30 and 23:30 UTC: the same UK day in winter, the next one in summer.
        "created_at": st.builds(_instant, DATES, st.sampled_from([8, 22, 23])),
        "status": st.sampled_from(["awaiting", "declined", "convened"]),
        "triaged_in_time": st.sampled_from([True, False, None]),
        "triaged_at": st.one_of(st.none(), st.builds(_instant, DATES, st.just(12)))},
    FollowUpEntry: {
        "kind": st.sampled_from(["returned", "authorised"]),
        "details": st.sampled_from([{"reasons": []}, {"reasons": ["missing_information"]},
                                    {"reasons": ["missing_information", "other"]}])},
}
TABLES = list(CHANGES)
CHANGE = st.sampled_from(TABLES).flatmap(lambda table: st.tuples(
    st.just("change"), st.just(table), st.integers(0, 3),
    st.sampled_from(sorted(CHANGES[table])).flatmap(
        lambda column: st.tuples(st.just(column), CHANGES[table][column]))))
REMOVAL = st.tuples(st.just("remove"), st.sampled_from(TABLES), st.integers(0, 3), st.none())
SCOPE = st.tuples(st.just("report"), st.sampled_from(DAYS[:5]), st.sampled_from(DAYS[4:]),
                  st.sampled_from([None, "North"]), st.sampled_from([TODAY, date(2026, 3, 20)]))


def _apply(session: Session, step) -> None:
    _, table, index, change = step
    rows = session.execute(select(table).order_by(*table.__table__.primary_key.columns)
                           ).scalars().all()
    if index >= len(rows):
        return
    row = rows[index]
    if step[0] == "remove":
        session.delete(row)
    else:
        column, value = change
        setattr(row, column, value)
        if table is RecordMeasure and column == "discussion_on":
            # The day is copied onto the record's actions and receipts (the projection's
            # invariant, tests/test_projection_properties.py): a move carries them along.
            for copy in (TrackedAction, RecordReceipt):
                session.execute(update(copy).where(copy.record_id == row.record_id).values(
                    discussion_on=value))
    session.commit()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.one_of(CHANGE, REMOVAL, SCOPE), min_size=4, max_size=14))
def test_kept_months_answer_what_counting_every_row_answers_after_any_writes(engine, steps):
    with engine.begin() as connection:  # each example starts as the fixture left it
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name not in ("working_day", "organisation"):
                connection.execute(table.delete())
    with Session(engine) as session:
        _world(session)
        whole = ("report", PERIOD.start, PERIOD.end, None, TODAY)
        for step in [whole, *steps, whole]:  # kept first, so every change meets kept months
            if step[0] != "report":
                _apply(session, step)
                continue
            _, start, end, team, today = step
            scope = Scope(start, end, team=team, today=today)
            kept, fresh = _kept(session, scope), _fresh(session, scope)
            assert kept == fresh, (steps, scope, _differences(kept, fresh))
            session.commit()  # as the page's audit entry does: the counts are kept


def _reads_of_counted_rows(statements: list[str]) -> list[str]:
    return [s for s in statements if any(f"FROM {t}" in s or f"JOIN {t}" in s
                                         for t in COUNTED_TABLES)]


def test_a_second_report_reads_only_the_kept_months(engine, session):
    _world(session)
    first = statements_run(engine, lambda: (_kept(session, PERIOD), session.commit()))
    assert len(_reads_of_counted_rows(first)) == 7  # four families and three breakdowns
    second = statements_run(engine, lambda: _kept(session, PERIOD))
    assert _reads_of_counted_rows(second) == []
    assert len(second) == 2  # the months' generations, then the kept counts


def test_instances_with_other_settings_share_kept_months_but_not_another_receipt_limit(
        engine, session, settings_env):
    _world(session)
    _kept(session, PERIOD)
    session.commit()
    settings_env(notification_worker="false", worker_threads=7)  # another instance's
    assert _reads_of_counted_rows(statements_run(engine, lambda: _kept(session, PERIOD))) == []
    settings_env(receipt_working_days=40)  # receipts flagged later: counted again
    again = statements_run(engine, lambda: _kept(session, PERIOD))
    assert [s for s in _reads_of_counted_rows(again) if "record_receipt" in s] != []
    assert _kept(session, PERIOD) == _fresh(session, PERIOD)


def test_a_change_recounts_its_month_and_nothing_else(engine, session, monkeypatch):
    ids = _world(session)
    _kept(session, PERIOD)
    session.commit()
    spans = []
    counting = tally.count_family
    monkeypatch.setattr(tally, "count_family", lambda s, family, figures, scope: (
        spans.append((family.name, scope.start, scope.end)),
        counting(s, family, figures, scope))[1])
    session.execute(update(TrackedAction).where(TrackedAction.record_id == ids[1]).values(
        status="done", done_on=DAYS[3]))  # the record discussed on 1 March
    session.commit()
    after = _kept(session, PERIOD)
    assert spans == [("actions", date(2026, 3, 1), date(2026, 3, 31))]
    assert after["figures"]["update-late"][0] == (0, 4)
    assert after["figures"]["update-on-time"][0] == (3, 4)
    assert after == _fresh(session, PERIOD)


def test_what_is_overdue_is_recounted_the_next_day(session):
    ids = _world(session)
    session.execute(update(TrackedAction).where(TrackedAction.record_id == ids[3]).values(
        due_date=date(2026, 6, 15)))
    session.commit()
    on_the_day = Scope(PERIOD.start, PERIOD.end, today=date(2026, 6, 15))
    next_day = Scope(PERIOD.start, PERIOD.end, today=date(2026, 6, 16))
    assert _kept(session, on_the_day)["figures"]["update-overdue"][0] == (1, 4)
    session.commit()
    assert _kept(session, next_day)["figures"]["update-overdue"][0] == (2, 4)
    session.commit()
    # Yesterday's counts are dropped once today's are kept.
    assert set(session.execute(select(ReportTally.made_on)).scalars()) == {date(2026, 6, 16)}


def test_a_write_while_a_month_is_counted_leaves_it_stale_never_wrong(engine, session,
                                                                      monkeypatch):
    """Another transaction commits after the generations were read and before this count
    reads the rows: the count kept is marked with the old generation, so the next report
    counts that month again and shows the write."""
    ids = _world(session)
    counting = tally.count_family

    def meanwhile(s, family, figures, scope):
        if family.name == "actions":
            with Session(engine) as other:
                other.execute(update(TrackedAction).where(
                    TrackedAction.record_id == ids[3]).values(status="done", done_on=DAYS[5]))
                other.commit()
        return counting(s, family, figures, scope)
    monkeypatch.setattr(tally, "count_family", meanwhile)
    _kept(session, PERIOD)
    session.commit()
    monkeypatch.setattr(tally, "count_family", counting)
    assert _kept(session, PERIOD)["figures"]["update-on-time"][0] == (3, 4)


def test_two_reports_counting_the_same_months_at_once_both_answer(engine, session):
    """The first reports of a day, by two managers at once: both count, keep the same months
    and drop yesterday's, and neither waits on the other for ever or fails."""
    _world(session)
    yesterday = Scope(PERIOD.start, PERIOD.end, team="North", today=TODAY - timedelta(days=1))
    _kept(session, yesterday)
    session.commit()
    start, answers = threading.Barrier(2), []

    def report_now(team):
        with Session(engine) as own:
            start.wait()
            answers.append(_kept(own, Scope(PERIOD.start, PERIOD.end, team=team, today=TODAY)))
            own.commit()
    threads = [threading.Thread(target=report_now, args=(team,)) for team in ("North", "North")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    fresh = _fresh(session, Scope(PERIOD.start, PERIOD.end, team="North", today=TODAY))
    assert answers == [fresh, fresh]
    assert set(session.execute(select(ReportTally.made_on)).scalars()) == {TODAY}


def test_deleting_a_record_takes_its_rows_out_of_the_kept_months(session):
    """Retention deletes records; their rows go by cascade, which the triggers see too."""
    ids = _world(session)
    assert _kept(session, PERIOD)["figures"]["never-opened"][0] == (4, 4)
    session.commit()
    session.delete(session.get(StrategyRecord, ids[0]))
    session.commit()
    assert _kept(session, PERIOD)["figures"]["never-opened"][0] == (3, 3)
    assert _kept(session, PERIOD) == _fresh(session, PERIOD)


def test_a_request_counts_in_the_uk_month_it_was_made(session):
    """00:30 BST on 1 June is 23:30 UTC on 31 May: the request belongs to June."""
    user = make_user(session, "school1", "partner", agency="school")
    session.add(StrategyRequest(agency="school", created_by_id=user.id, status="awaiting",
                                created_at=datetime(2026, 5, 31, 23, 30, tzinfo=UTC), data={}))
    session.commit()
    june = Scope(date(2026, 6, 1), date(2026, 6, 30), today=TODAY)
    may = Scope(date(2026, 5, 1), date(2026, 5, 31), today=TODAY)
    assert _kept(session, june)["figures"]["requests-by-agency"] == (
        (1, 1), {"2026-06": (1, 1)}, {"school": (1, 1)})
    assert _kept(session, may)["figures"]["requests-by-agency"] == ((0, 0), {}, {})
