"""Every live-audit figure at a share other than 0 and 100%, and at its boundaries: the due
day (on time), the day after (late), the UK day a request or sending falls on, and a bank
holiday in the working days a receipt has to be opened in.

The rows each figure family counts (record_measure, tracked_action, record_receipt,
strategy_request) are written directly for a handful of records, so every answer below is
worked out by hand from the table in each test; tests/test_report_figures.py checks the same
figures over records made through the services. The dates sit around Easter 2026: Good Friday
3 April and Easter Monday 6 April are bank holidays, so one working day after Thursday 2 April
is Tuesday 7 April.
"""

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.followup import lifecycle as service
from app.followup.measure_table import MEASURE_COLUMNS, RecordMeasure
from app.followup.models import FollowUpEntry, TrackedAction
from app.records.models import StrategyRecord
from app.reports.breakdowns import referrer_days, return_reasons, triage_hours
from app.reports.families import Scope
from app.reports.figures import BY_ID, FIGURES, is_behind, months_between, record_ids
from app.requests.models import StrategyRequest
from app.sending.models import RecordReceipt
from tests.builders import STANDARD_ORGANISATIONS, record_with
from tests.conftest import make_user
from tests.fresh_count import report

PERIOD = (date(2026, 1, 1), date(2026, 6, 30))
DUE = date(2026, 4, 7)  # every action's and EDT review's due day: the Tuesday after Easter
DAY_AFTER = date(2026, 4, 8)

# r1..r5 are in the period (two led by the day team, three by EDT; r5 in team South), "out"
# is discussed before it. Every count below is of r1..r5 only.
RECORDS = {  # name: (discussion day, led by, team)
    "r1": (date(2026, 3, 2), "day_team", "North"),
    "r2": (date(2026, 3, 20), "day_team", "North"),
    "r3": (date(2026, 4, 2), "edt", "EDT"),
    "r4": (date(2026, 4, 2), "edt", "EDT"),
    "r5": (date(2026, 4, 3), "edt", "South"),
    "out": (date(2025, 12, 31), "edt", "North"),
}
# The measure a parametrised case looks at, on each record (None: it does not apply). Every
# other measure column holds OTHER_MEASURES, so a figure reading the wrong column is caught.
TARGET = {"r1": True, "r2": False, "r3": True, "r4": False, "r5": True, "out": True}
OTHER_MEASURES = {"r1": False, "r2": None, "r3": None, "r4": None, "r5": None, "out": False}


def _record_ids(session) -> dict[str, int]:
    user = make_user(session, "sam", team="North")
    return {name: service.create_record(session, data=record_with(), team="North",
                                        created_by_id=user.id).id for name in RECORDS}


def _measures(session, ids, target_column: str | None = None, **facts) -> None:
    """A record_measure row for each record: `target_column` as TARGET, the other measures as
    OTHER_MEASURES, and `facts` (column: {record: value}) for what happened after."""
    for name, (day, led_by, team) in RECORDS.items():
        row = RecordMeasure(record_id=ids[name], version=1, discussion_on=day, team=team,
                            led_by=led_by)
        for column in MEASURE_COLUMNS.values():
            setattr(row, column, TARGET[name] if column == target_column else OTHER_MEASURES[name])
        for column, values in facts.items():
            if name in values:
                setattr(row, column, values[name])
        session.add(row)
    session.commit()


def _counts(session, today=DAY_AFTER, **scope) -> dict:
    results = report(session, Scope(*PERIOD, today=today, **scope))
    return {r.figure.id: (r.total.numerator, r.total.denominator) for r in results} | {
        f"{r.figure.id}.{part}": (c.numerator, c.denominator)
        for r in results for part, c in r.parts.items() if c.denominator}


def _listed(session, ids, figure_id, today=DAY_AFTER, **kwargs) -> set[str]:
    figure, scope = BY_ID[figure_id], Scope(*PERIOD, today=today)
    found = set(session.execute(record_ids(figure, scope, **kwargs)).scalars())
    # Asked a record at a time (how the list walks), the same records.
    asked = is_behind(figure, scope, StrategyRecord.id, **kwargs)
    assert set(session.execute(select(StrategyRecord.id).where(asked)).scalars()) == found
    return {name for name, record_id in ids.items() if record_id in found}


# --- records: the figures that mirror a measure ----------------------------------------------

MEASURE_FIGURES = [f.id for f in FIGURES if f.family.name == "measures" and f.id in MEASURE_COLUMNS]
# By hand from TARGET over r1..r5: applies where not None, met where True.
MEASURE_ANSWERS = {figure_id: (3, 5) for figure_id in MEASURE_FIGURES} | {
    "no-warnings-edt": (2, 3),  # r3, r4, r5 are EDT-led; r3 and r5 met
    "no-warnings-day-team": (1, 2),  # r1 met, r2 not
}


def test_every_measure_figure_is_counted():
    counted = {f.id for f in FIGURES if f.family.name == "measures"} - {
        "sent-on-time", "edt-reviewed-on-time", "authorised", "returned", "amended"}
    assert counted == set(MEASURE_FIGURES) | {"no-warnings-edt", "no-warnings-day-team"}


@pytest.mark.parametrize("figure_id", [*MEASURE_FIGURES, "no-warnings-edt",
                                       "no-warnings-day-team"])
def test_a_measure_figure_counts_where_it_applies_and_where_it_is_met(session, figure_id):
    ids = _record_ids(session)
    measure = "no-warnings" if figure_id.startswith("no-warnings") else figure_id
    _measures(session, ids, MEASURE_COLUMNS[measure])
    assert _counts(session)[figure_id] == MEASURE_ANSWERS[figure_id]
    if figure_id == "no-warnings-edt":
        assert _listed(session, ids, figure_id) == {"r3", "r5"}
        assert _listed(session, ids, figure_id, numerator=False) == {"r3", "r4", "r5"}
    elif figure_id == "no-warnings-day-team":
        assert _listed(session, ids, figure_id, numerator=False) == {"r1", "r2"}
    else:
        assert _listed(session, ids, figure_id) == {"r1", "r3", "r5"}
        assert _listed(session, ids, figure_id, numerator=False) == {"r1", "r2", "r3", "r4", "r5"}


def test_a_measure_figure_is_counted_by_month_and_narrowed_by_team_and_lead(session):
    ids = _record_ids(session)
    _measures(session, ids, MEASURE_COLUMNS["icpc-within-limit"])
    result = next(r for r in report(session, Scope(*PERIOD, today=DAY_AFTER))
                  if r.figure.id == "icpc-within-limit")
    assert {month: (c.numerator, c.denominator) for month, c in result.months.items()} == {
        "2026-03": (1, 2), "2026-04": (2, 3)}
    assert _counts(session, team="North")["icpc-within-limit"] == (1, 2)  # r1, r2
    assert _counts(session, led_by="edt")["icpc-within-limit"] == (2, 3)  # r3, r4, r5
    assert _counts(session, team="South")["icpc-within-limit"] == (1, 1)  # r5


# --- records: what happened after the meeting ------------------------------------------------

AFTER = {
    "sent_late": {"r1": False, "r2": True, "r3": None, "r4": False, "r5": True, "out": False},
    # EDT-led r3 reviewed on its due day, r4 the day after, r5 not yet; r1 is not EDT-led.
    "review_due": {"r1": DUE, "r3": DUE, "r4": DUE, "r5": DUE, "out": DUE},
    "reviewed_on": {"r1": DAY_AFTER, "r3": DUE, "r4": DAY_AFTER, "out": DUE},
    "authorised": {"r1": True, "r3": True, "out": True},
    "returned": {"r2": True, "out": True},
    "amended": {"r4": True, "r5": True},
}


@pytest.mark.parametrize(("figure_id", "answer", "listed"), [
    ("sent-on-time", (2, 5), {"r1", "r4"}),  # never sent (None) is not on time
    ("edt-reviewed-on-time", (1, 3), {"r3"}),  # on the due day: on time; the day after: late
    ("authorised", (2, 5), {"r1", "r3"}),
    ("returned", (1, 5), {"r2"}),
    ("amended", (2, 5), {"r4", "r5"}),
])
def test_a_record_fact_figure_counts_every_record_of_the_period(session, figure_id, answer,
                                                                listed):
    ids = _record_ids(session)
    _measures(session, ids, **AFTER)
    assert _counts(session)[figure_id] == answer
    assert _listed(session, ids, figure_id) == listed


# --- actions: updating every agency, and telling them of a cancellation ----------------------

ACTIONS = [  # record, kind, status, due, done on
    ("r1", "update_agencies", "done", DUE, DUE),  # done on its due day: on time
    ("r2", "update_agencies", "done", DUE, DAY_AFTER),  # the day after: late
    ("r3", "update_agencies", "done", DUE, date(2026, 4, 2)),  # early
    ("r4", "update_agencies", "open", DUE, None),  # open, due yesterday: overdue
    ("r5", "update_agencies", "open", DAY_AFTER, None),  # open, due today: not overdue yet
    ("r1", "task", "open", DUE, None),  # not counted by any figure
    ("r3", "cancellation_update", "done", DUE, DUE),
    ("r4", "cancellation_update", "open", DUE, None),
    ("r5", "cancellation_update", "superseded", DUE, None),
    # A child alleged to have caused harm: their own discussion considered (done) or not yet.
    ("r1", "other_child_discussion", "done", DUE, DUE),
    ("r2", "other_child_discussion", "open", DUE, None),
    ("r4", "other_child_discussion", "done", DUE, DAY_AFTER),
    ("out", "update_agencies", "done", DUE, DUE),
]


def _actions(session, ids) -> None:
    for position, (name, kind, status, due, done_on) in enumerate(ACTIONS):
        # As the projection writes it: of the version in force, with its day, lead and team.
        day, led_by, team = RECORDS[name]
        session.add(TrackedAction(record_id=ids[name], version=1, position=position, kind=kind,
                                  description=kind, status=status, due_date=due, done_on=done_on,
                                  discussion_on=day, led_by=led_by, team=team, in_force=True))
    session.commit()


@pytest.mark.parametrize(("today", "answers"), [
    (DAY_AFTER, {"update-on-time": (2, 5), "update-late": (1, 5), "update-overdue": (1, 5),
                 "cancellation-told": (1, 3), "other-child-considered": (2, 3)}),
    # On the due day itself nothing open is overdue yet.
    (DUE, {"update-on-time": (2, 5), "update-late": (1, 5), "update-overdue": (0, 5),
           "cancellation-told": (1, 3)}),
    # Two days on, r5's action (due the day after DUE) is overdue too.
    (date(2026, 4, 9), {"update-overdue": (2, 5)}),
], ids=str)
def test_action_figures_count_the_due_day_as_on_time_and_the_day_after_as_late(
        session, today, answers):
    ids = _record_ids(session)
    _measures(session, ids)
    _actions(session, ids)
    counts = _counts(session, today=today)
    assert {figure_id: counts[figure_id] for figure_id in answers} == answers


def test_each_action_figure_lists_its_records(session):
    ids = _record_ids(session)
    _measures(session, ids)
    _actions(session, ids)
    assert _listed(session, ids, "update-on-time") == {"r1", "r3"}
    assert _listed(session, ids, "update-late") == {"r2"}
    assert _listed(session, ids, "update-overdue") == {"r4"}
    assert _listed(session, ids, "cancellation-told", numerator=False) == {"r3", "r4", "r5"}
    assert _listed(session, ids, "other-child-considered") == {"r1", "r4"}
    months = next(r for r in report(session, Scope(*PERIOD, today=DAY_AFTER))
                  if r.figure.id == "update-on-time").months
    assert {month: (c.numerator, c.denominator) for month, c in months.items()} == {
        "2026-03": (1, 2), "2026-04": (1, 3)}


# --- receipts: sent and never opened within RECEIPT_WORKING_DAYS (1) ---------------------------

RECEIPTS = [  # record, agency, sent (UTC), opened
    ("r1", "police", datetime(2026, 4, 2, 9, 0), False),  # Maundy Thursday: open by Tue 7th
    ("r1", "health_visiting", datetime(2026, 4, 2, 9, 0), True),
    ("r2", "police", datetime(2026, 4, 6, 22, 30), False),  # 23:30 BST on Easter Monday
    ("r4", "police", datetime(2026, 4, 6, 23, 0), False),  # midnight BST: Tuesday 7th
    ("r3", "school", datetime(2026, 4, 7, 8, 0), False),  # Tuesday: open by Wednesday 8th
    ("r3", "police", datetime(2026, 4, 1, 9, 0), True),  # Wednesday 1st: open by Thursday 2nd
]


def _receipts(session, ids) -> None:
    for name, agency, sent_at, opened in RECEIPTS:
        session.add(RecordReceipt(
            record_id=ids[name], version=1, organisation_id=STANDARD_ORGANISATIONS[agency],
            agency=agency, sent_at=sent_at.replace(tzinfo=UTC), discussion_on=RECORDS[name][0],
            first_opened_at=sent_at.replace(tzinfo=UTC) if opened else None))
    session.commit()


@pytest.mark.parametrize(("today", "answers"), [
    # The day after their open-by day (Tuesday 7th, after the Easter weekend) the receipts
    # sent up to the end of Easter Monday are counted: two of the four never opened.
    (DAY_AFTER, {"never-opened": (2, 4), "never-opened.police": (2, 3),
                 "never-opened.health_visiting": (0, 1)}),
    # On Tuesday 7th, their open-by day, only Wednesday 1st's receipt is counted.
    (DUE, {"never-opened": (0, 1), "never-opened.police": (0, 1)}),
    # On Easter Monday, a bank holiday, Maundy Thursday's are not yet due either.
    (date(2026, 4, 6), {"never-opened": (0, 1), "never-opened.police": (0, 1)}),
], ids=str)
def test_never_opened_counts_receipts_once_their_open_by_working_day_has_passed(
        session, settings_env, today, answers):
    settings_env(receipt_working_days=1)
    ids = _record_ids(session)
    _measures(session, ids)
    _receipts(session, ids)
    counts = _counts(session, today=today)
    assert {key: value for key, value in counts.items() if key.startswith("never-opened")} \
        == answers


# --- requests: made in the period, on the UK calendar ------------------------------------------

REQUESTS = [  # agency, made (UTC), status, decided in time
    ("school", datetime(2026, 3, 2, 9, 0), "declined", True),
    ("school", datetime(2026, 3, 3, 9, 0), "convened", False),
    ("police", datetime(2026, 4, 2, 9, 0), "convened", True),
    ("police", datetime(2026, 4, 2, 10, 0), "awaiting", None),
    ("police", datetime(2026, 1, 1, 0, 30), "declined", True),  # 00:30 GMT 1 January: in
    ("school", datetime(2025, 12, 31, 23, 30), "declined", True),  # 23:30 GMT: before it
    ("school", datetime(2026, 6, 30, 23, 30), "convened", True),  # 00:30 BST 1 July: after
]


def test_request_figures_count_requests_made_on_the_uk_days_of_the_period(session):
    user = make_user(session, "sam", team="North")
    for agency, made, status, in_time in REQUESTS:
        session.add(StrategyRequest(agency=agency, created_by_id=user.id, status=status,
                                    created_at=made.replace(tzinfo=UTC), data={},
                                    triaged_in_time=in_time))
    session.commit()
    counts = _counts(session)
    # Decided: the first three and 1 January's; two declined, three in time.
    assert counts["requests-declined"] == (2, 4)
    assert counts["requests-triaged-on-time"] == (3, 4)
    assert counts["requests-by-agency"] == (5, 5)
    assert (counts["requests-by-agency.school"], counts["requests-by-agency.police"]) == (
        (2, 2), (3, 3))
    # Only the figure counted by agency is split by agency, though every request has one.
    assert {key for key in counts if "." in key} == {"requests-by-agency.school",
                                                     "requests-by-agency.police"}
    # Requests belong to no team: a team's report counts them all the same.
    assert _counts(session, team="South")["requests-declined"] == (2, 4)


def test_every_figure_is_asserted_here():
    asserted = {*MEASURE_ANSWERS, "sent-on-time", "edt-reviewed-on-time", "authorised",
                "returned", "amended", "update-on-time", "update-late", "update-overdue",
                "cancellation-told", "other-child-considered", "never-opened", "requests-declined",
                "requests-triaged-on-time", "requests-by-agency"}
    assert asserted == {f.id for f in FIGURES}


def test_the_median_time_to_triage_is_over_the_requests_decided_in_the_period(session):
    user = make_user(session, "sam", team="North")
    made = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for hours in (2, 5, 30, None):  # the last still waiting: not in the median
        session.add(StrategyRequest(agency="school", created_by_id=user.id, status="convened",
                                    created_at=made, data={},
                                    triaged_at=made + timedelta(hours=hours) if hours else None))
    session.add(StrategyRequest(agency="school", created_by_id=user.id, status="convened",
                                created_at=datetime(2025, 12, 1, tzinfo=UTC), data={},
                                triaged_at=datetime(2025, 12, 5, tzinfo=UTC)))  # before it
    session.commit()
    median = triage_hours(session, Scope(*PERIOD, today=DAY_AFTER))
    assert (median.value, median.over) == (5.0, 3)
    session.add(StrategyRequest(agency="police", created_by_id=user.id, status="declined",
                                created_at=made, data={}, triaged_at=made + timedelta(hours=8)))
    session.commit()
    median = triage_hours(session, Scope(*PERIOD, today=DAY_AFTER))
    assert (median.value, median.over) == (6.5, 4)  # between 5 and 8
    nothing = triage_hours(session, Scope(date(2027, 1, 1), date(2027, 1, 31), today=DAY_AFTER))
    assert (nothing.value, nothing.over) == (None, 0)


def test_the_median_time_to_triage_is_given_in_hours_to_one_decimal(session):
    user = make_user(session, "sam", team="North")
    made = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    # One decided 2 hours 20 minutes after, one left ten days (240 hours) over a holiday:
    # the median of two is halfway between, 121.1666... hours.
    for waited in (timedelta(hours=2, minutes=20), timedelta(days=10)):
        session.add(StrategyRequest(agency="school", created_by_id=user.id, status="convened",
                                    created_at=made, triaged_at=made + waited, data={}))
    session.commit()
    median = triage_hours(session, Scope(*PERIOD, today=DAY_AFTER))
    assert (median.value, median.over) == (121.2, 2)


@pytest.mark.parametrize("server_zone", ["UTC", "America/New_York"])
def test_a_request_made_at_the_first_instant_of_the_period_is_in_it_and_one_at_the_next_is_not(
        session, monkeypatch, server_zone):
    """The period's UK days: from midnight GMT on 1 January to midnight BST on 1 July (23:00
    UTC on 30 June), the first instant in, the last out, whatever the server's own zone."""
    monkeypatch.setenv("TZ", server_zone)
    time.tzset()
    try:
        user = make_user(session, "sam", team="North")
        first = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
        after = datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
        second = timedelta(seconds=1)
        for agency, made, hours in (("police", first, 2), ("police", after - second, 3),
                                    ("school", after, 10), ("school", first - second, 20)):
            session.add(StrategyRequest(agency=agency, created_by_id=user.id, status="declined",
                                        created_at=made, triaged_at=made + timedelta(hours=hours),
                                        triaged_in_time=True, data={}))
        session.commit()
        median = triage_hours(session, Scope(*PERIOD, today=DAY_AFTER))
        assert (median.value, median.over) == (2.5, 2)
        counts = _counts(session)
        assert (counts["requests-by-agency"], counts["requests-declined"]) == ((2, 2), (2, 2))
        assert "requests-by-agency.school" not in counts
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_figure_of_edt_led_records_leaves_out_day_team_records_of_the_same_month(session):
    user = make_user(session, "sam", team="North")
    column = MEASURE_COLUMNS["no-warnings"]
    for led_by, no_warnings in (("edt", False), ("day_team", True)):
        record = service.create_record(session, data=record_with(), team="North",
                                       created_by_id=user.id)
        session.add(RecordMeasure(record_id=record.id, version=1, discussion_on=DUE, team="North",
                                  led_by=led_by, **{column: no_warnings}))
    session.commit()
    counts = _counts(session)
    assert (counts["no-warnings-edt"], counts["no-warnings-day-team"]) == ((0, 1), (1, 1))


def test_one_figure_is_counted_alone_as_in_the_whole_report(session):
    ids = _record_ids(session)
    _measures(session, ids, **AFTER)
    result = report(session, Scope(*PERIOD, today=DAY_AFTER), [BY_ID["amended"]])[0]
    assert (result.figure.id, result.total.numerator, result.total.denominator) == ("amended", 2, 5)


def test_months_between_names_every_month_of_the_period_across_a_new_year():
    assert months_between(date(2025, 11, 30), date(2026, 2, 1)) == [
        "2025-11", "2025-12", "2026-01", "2026-02"]
    assert months_between(date(2026, 4, 1), date(2026, 4, 30)) == ["2026-04"]


def test_figure_labels_carry_this_services_working_day_limits(settings_env):
    settings_env(icpc_working_days=15, request_triage_working_days=1, send_within_working_days=2,
                 receipt_working_days=3, prebirth_conference_by_weeks=34)
    assert BY_ID["icpc-within-limit"].label == ("Section 47 records with an initial child "
                                                "protection conference within 15 working days "
                                                "of the discussion")
    assert BY_ID["requests-triaged-on-time"].label == (
        "Requests decided by the next working day after being made")
    assert BY_ID["sent-on-time"].label == (
        "Records sent to their agencies within 2 working days of the discussion")
    assert BY_ID["never-opened"].label == (
        "Records sent to an agency that it has not opened within 3 working days of sending")
    assert BY_ID["prebirth-conference"].label == (
        "Records with an unborn child whose pre-birth conference is by 34 weeks of pregnancy")


def test_return_reasons_count_each_chosen_reason_once_a_return(session):
    ids = _record_ids(session)
    _measures(session, ids)
    returns = {  # record: the reasons stored on its "returned" entry
        "r1": ["decision", "factual_error"],
        "r2": ["decision", "decision"],  # a reason twice on one return counts once
        "r3": None,  # returned before managers chose reasons
        "r4": ["no-longer-a-reason"],  # nothing known: not categorised
        "r5": ["factual_error", "no-longer-a-reason"],
        "out": ["decision"],  # outside the period
    }
    for name, reasons in returns.items():
        session.add(FollowUpEntry(record_id=ids[name], version=1, kind="returned",
                                  at=datetime(2026, 4, 8, tzinfo=UTC), by_name="Mo",
                                  details={"comments": "x"} | (
                                      {"reasons": reasons} if reasons is not None else {})))
    session.commit()
    counted = return_reasons(session, Scope(*PERIOD, today=DAY_AFTER))
    assert counted.returns == 5
    assert {reason: n for reason, n in counted.counts.items() if n} == {
        "decision": 2, "factual_error": 2, "not_categorised": 2}


def test_a_figure_counted_by_agency_lists_the_records_of_one_agency_or_all(session,
                                                                          settings_env):
    settings_env(receipt_working_days=1)
    ids = _record_ids(session)
    _measures(session, ids)
    _receipts(session, ids)
    assert _listed(session, ids, "never-opened") == {"r1", "r2"}
    assert _listed(session, ids, "never-opened", part="police") == {"r1", "r2"}
    assert _listed(session, ids, "never-opened", part="health_visiting") == set()
    assert _listed(session, ids, "never-opened", numerator=False, part="health_visiting") == {"r1"}


def test_the_average_days_to_tell_a_referrer_counts_only_records_that_name_one(session):
    ids = _record_ids(session)
    # r1 told 2 days after, r2 4 days after; r3 names no referrer (NULL) and r4's was not
    # told (False), whatever date is stored.
    _measures(session, ids, m_referrer_told={"r1": True, "r2": True, "r3": None, "r4": False},
              referrer_told_on={"r1": date(2026, 3, 4), "r2": date(2026, 3, 24),
                                "r3": date(2026, 4, 30), "r4": date(2026, 4, 30)})
    average = referrer_days(session, Scope(*PERIOD, today=DAY_AFTER))
    assert (average.value, average.over) == (3.0, 2)
    nothing = referrer_days(session, Scope(date(2027, 1, 1), date(2027, 1, 31), today=DAY_AFTER))
    assert (nothing.value, nothing.over) == (None, 0)
