"""The live audit's kept months (app/reports/tally.py) at their edges: how a period is cut into
months (a single day, a leap February, the turn of a year), each kind of lead and team keeping
its own counts while the requests and their triage are kept once for all, a figure's page
counting its own family alone, months with nothing in them, and a month's first row.

Each report is checked against counting every row afresh (tests/fresh_count.py), on the
crafted records of tests/report_world.py."""

from datetime import date, datetime

import pytest
from sqlmodel import Session

from app.reports import breakdowns, tally
from app.reports.breakdowns import Average, ReturnReasons
from app.reports.families import Scope
from app.reports.figures import BY_ID
from app.reports.tally import Piece
from tests.fresh_count import report
from tests.report_world import PERIOD, dated
from tests.shared_helpers import statements_run

TODAY = date(2026, 8, 20)


def _pair(count) -> tuple[int, int]:
    return count.numerator, count.denominator


def _figures(results) -> dict:
    return {r.figure.id: (_pair(r.total), {m: _pair(c) for m, c in r.months.items()},
                          {p: _pair(c) for p, c in r.parts.items()},
                          {m: {p: _pair(c) for p, c in parts.items()}
                           for m, parts in r.month_parts.items()})
            for r in results}


def _reasons(reasons: ReturnReasons) -> tuple[int, dict]:
    return reasons.returns, {k: v for k, v in reasons.counts.items() if v}


def _kept(session: Session, scope: Scope) -> dict:
    found = tally.counted(session, scope)
    return {"figures": _figures(found.results), "reasons": _reasons(found.reasons),
            "referrer": found.referrer, "triage": found.triage}


def _fresh(session: Session, scope: Scope) -> dict:
    return {"figures": _figures(report(session, scope)),
            "reasons": _reasons(breakdowns.return_reasons(session, scope)),
            "referrer": breakdowns.referrer_days(session, scope),
            "triage": breakdowns.triage_hours(session, scope)}


def _reading(statements: list[str], table: str) -> list[str]:
    return [s for s in statements if f"FROM {table}" in s or f"JOIN {table}" in s]


@pytest.mark.parametrize(("start", "end", "months"), [
    (date(2026, 3, 31), date(2026, 3, 31), [Piece("2026-03", date(2026, 3, 31), date(2026, 3, 31))]),
    (date(2026, 3, 1), date(2026, 3, 31), [Piece("2026-03", date(2026, 3, 1), date(2026, 3, 31))]),
    (date(2028, 1, 31), date(2028, 3, 1), [Piece("2028-01", date(2028, 1, 31), date(2028, 1, 31)),
                                           Piece("2028-02", date(2028, 2, 1), date(2028, 2, 29)),
                                           Piece("2028-03", date(2028, 3, 1), date(2028, 3, 1))]),
    (date(2025, 11, 20), date(2026, 1, 10), [
        Piece("2025-11", date(2025, 11, 20), date(2025, 11, 30)),
        Piece("2025-12", date(2025, 12, 1), date(2025, 12, 31)),
        Piece("2026-01", date(2026, 1, 1), date(2026, 1, 10))]),
    (date(2026, 12, 31), date(2026, 12, 31), [Piece("2026-12", date(2026, 12, 31), date(2026, 12, 31))]),
    (date(2026, 4, 2), date(2026, 4, 1), []),
], ids=["one day", "a whole month", "a leap february", "the turn of a year", "new year's eve",
        "an empty period"])
def test_a_period_is_cut_into_its_months(start, end, months):
    assert tally.pieces(Scope(start, end, today=TODAY)) == months


def test_a_report_of_one_day_counts_that_day(session, world):
    """D was discussed late on Good Friday, 3 April (an EDT record)."""
    day = Scope(date(2026, 4, 3), date(2026, 4, 3), today=TODAY)
    kept = _kept(session, day)
    assert kept["figures"]["edt-reviewed-on-time"][0] == (1, 1)
    assert kept == _fresh(session, day)


def test_each_kind_of_lead_and_team_keeps_its_own_months(session, world):
    """EDT's records, then the day team's, then every record, then one team's EDT records:
    none reads another's kept counts, and each answers what counting afresh answers."""
    scopes = [Scope(*PERIOD, led_by="edt", today=TODAY), Scope(*PERIOD, led_by="day_team", today=TODAY),
              Scope(*PERIOD, today=TODAY), Scope(*PERIOD, team="North", led_by="edt", today=TODAY)]
    answers = []
    for scope in scopes:
        answers.append(_kept(session, scope))
        session.commit()
    assert answers[0]["figures"]["participants-recorded"][0] == (2, 2)  # D and E
    assert answers[1]["figures"]["participants-recorded"][0] == (6, 6)
    assert answers[2]["figures"]["participants-recorded"][0] == (8, 8)
    assert answers[3]["figures"]["participants-recorded"][0] == (0, 0)  # D, E are EDT's team
    assert answers == [_fresh(session, scope) for scope in scopes]
    # Read again, now kept: the same answers.
    assert [_kept(session, scope) for scope in scopes] == answers


def test_the_requests_and_their_triage_are_kept_once_for_every_team_and_lead(
        engine, session, world):
    """Neither is narrowed by team or lead: a report of one team's EDT records reads what the
    report of every record kept, and counts no request again."""
    _kept(session, Scope(*PERIOD, today=TODAY))
    session.commit()
    narrowed = Scope(*PERIOD, team="North", led_by="edt", today=TODAY)
    statements = statements_run(engine, lambda: _kept(session, narrowed))
    assert _reading(statements, "strategy_request") == []
    assert _reading(statements, "record_measure") != []  # the records' figures are its own
    kept = _kept(session, narrowed)
    assert kept["figures"]["requests-by-agency"][0] == (4, 4)
    assert kept["triage"] == Average(6.0, 3)  # the median of 4, 96 and 6 hours
    assert kept == _fresh(session, narrowed)


def test_a_figures_page_counts_its_own_family_and_no_breakdown(engine, session, world):
    scope = Scope(*PERIOD, today=TODAY)
    figure = BY_ID["update-late"]
    statements = statements_run(engine, lambda: tally.counted(session, scope, [figure]))
    for table in ("strategy_request", "followup_entry", "record_receipt"):
        assert _reading(statements, table) == []
    found = tally.counted(session, scope, [figure])
    assert [r.figure.id for r in found.results] == ["update-late"]
    assert _figures(found.results) == _figures(report(session, scope, [figure]))
    assert _figures(found.results)["update-late"][0] == (1, 8)  # B
    assert found.reasons == ReturnReasons(0, {})
    assert found.referrer == Average(None, 0)
    assert found.triage == Average(None, 0)


def test_months_with_nothing_in_them_count_nothing_around_those_that_have(session, world):
    """October and November 2025 have no record and no request; December has one record, and
    August 2026 none again."""
    scope = Scope(date(2025, 10, 15), date(2026, 8, 31), today=TODAY)
    kept = _kept(session, scope)
    assert kept["figures"]["participants-recorded"][0] == (10, 10)  # with "before" and "after"
    assert set(kept["figures"]["participants-recorded"][1]) == {
        "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07"}
    assert kept == _fresh(session, scope)
    session.commit()
    assert _kept(session, scope) == kept


def test_the_first_row_of_a_month_kept_empty_is_counted(session, world):
    """August was kept with nothing in any table: a record discussed in August then counts."""
    scope = Scope(date(2026, 7, 1), date(2026, 8, 31), today=TODAY)
    assert _kept(session, scope)["figures"]["participants-recorded"][0] == (1, 1)  # "after"
    session.commit()
    world.finalised("August", dated(datetime(2026, 8, 4, 10)))
    kept = _kept(session, scope)
    assert kept["figures"]["participants-recorded"][0] == (2, 2)
    assert kept["figures"]["participants-recorded"][1] == {"2026-07": (1, 1), "2026-08": (1, 1)}
    assert kept == _fresh(session, scope)
