"""The partnership's suppression rule (app/reports/disclosure.py), cell by cell: small counts
read "fewer than 5", the complement of a figure is protected, a breakdown never gives a
suppressed cell away by subtraction, and a chart draws no suppressed value. Managers see the
exact figures."""

import xml.etree.ElementTree as ET

import pytest

from app.reports.breakdowns import Average, ReturnReasons
from app.reports.disclosure import (
    FEWER_THAN,
    Withheld,
    disclose,
    protect,
    protect_breakdown,
)
from app.reports.figures import BY_ID, Count, Result
from app.reports.query import ReportQuery
from app.web.reports_pages import chart_of

F, P = Withheld.FEWER_THAN_5, Withheld.PROTECTS_SMALL_COUNT


@pytest.mark.parametrize(("x", "n", "shown", "withheld"), [
    (0, 3, (None, None, None), {"numerator": F, "denominator": F, "percentage": P}),
    (4, 4, (None, None, None), {"numerator": F, "denominator": F, "percentage": P}),
    (0, 12, (None, 12, None), {"numerator": F, "percentage": P}),
    (4, 10, (None, 10, None), {"numerator": F, "percentage": P}),
    (5, 10, (5, 10, 50.0), {}),
    # 7 of 10: the complement, 3, would follow from 7 and 10.
    (7, 10, (None, 10, None), {"numerator": P, "percentage": P}),
    (6, 10, (None, 10, None), {"numerator": P, "percentage": P}),
    (9, 9, (None, 9, None), {"numerator": P, "percentage": P}),
    (5, 12, (5, 12, 41.7), {}),
    (20, 25, (20, 25, 80.0), {}),
])
def test_one_figure_x_of_n(x, n, shown, withheld):
    cell = protect(Count(x, n))
    assert (cell.numerator, cell.denominator, cell.percentage) == shown
    assert cell.withheld == withheld


def test_how_a_withheld_value_reads():
    assert [protect(Count(4, 10)).text(name) for name in ("numerator", "denominator",
                                                          "percentage")] == [
        "fewer than 5", "10", "withheld"]
    assert protect(Count(7, 10)).text("numerator") == "withheld"
    assert protect(Count(5, 10)).text("percentage") == "50%"
    assert FEWER_THAN == "fewer than 5"


def test_a_plain_count_has_no_complement():
    assert (protect(Count(4, 4), plain_count=True).numerator,
            protect(Count(4, 4), plain_count=True).denominator) == (None, None)
    five = protect(Count(5, 5), plain_count=True)
    assert (five.numerator, five.denominator, five.withheld) == (5, 5, {})


def test_one_small_month_takes_the_smallest_other_with_it():
    whole = protect(Count(24, 60))
    cells = protect_breakdown(whole, [Count(3, 20), Count(9, 20), Count(12, 20)])
    assert [c.numerator for c in cells] == [None, None, 12]
    assert [c.withheld.get("numerator") for c in cells] == [F, P, None]
    assert [c.percentage for c in cells] == [None, None, 60.0]
    # Denominators all shown: none is small.
    assert [c.denominator for c in cells] == [20, 20, 20]
    assert (whole.numerator, whole.denominator) == (24, 60)


def test_two_small_cells_that_could_only_be_four_each_are_protected_again():
    whole = protect(Count(38, 70))
    cells = protect_breakdown(whole, [Count(4, 10), Count(4, 10), Count(10, 20), Count(20, 30)])
    # 4 and 4 of a known 8 would both be 4: the next smallest (10) is withheld too.
    assert [c.withheld.get("numerator") for c in cells] == [F, F, P, None]
    assert cells[3].numerator == 20


def test_small_denominators_are_protected_across_the_months_too():
    whole = protect(Count(10, 22))
    cells = protect_breakdown(whole, [Count(1, 2), Count(4, 10), Count(5, 10)])
    assert [c.withheld.get("denominator") for c in cells] == [F, P, None]
    assert [c.denominator for c in cells] == [None, None, 10]


def test_a_suppressed_whole_leaves_its_cells_suppressed_as_they_are():
    whole = protect(Count(3, 30))
    cells = protect_breakdown(whole, [Count(1, 10), Count(2, 20)])
    assert whole.withheld == {"numerator": F, "percentage": P}
    assert [c.withheld.get("numerator") for c in cells] == [F, F]
    # The denominators (10 and 20 of 30) are not small: shown.
    assert [c.denominator for c in cells] == [10, 20]


def _result(total: Count, months: dict[str, Count]) -> Result:
    return Result(BY_ID["participants-recorded"], total, months)


def _report(result: Result, exact: bool, reasons=None):
    return disclose([result], ["2026-01", "2026-02", "2026-03"],
                    reasons or ReturnReasons(0, dict.fromkeys(ReturnReasons.labels(), 0)),
                    Average(2.5, 3), Average(4.0, 6), exact_figures=exact)


def test_managers_see_exact_figures_and_averages():
    result = _result(Count(7, 10), {"2026-01": Count(3, 4), "2026-03": Count(4, 6)})
    shown = _report(result, exact=True)
    figure = shown.figures[0]
    assert (figure.total.numerator, figure.total.denominator, figure.total.withheld) == (7, 10, {})
    assert [(c.numerator, c.denominator) for c in figure.months.values()] == [
        (3, 4), (0, 0), (4, 6)]
    assert (shown.referrer_days, shown.referrer_days_withheld) == (2.5, False)


def test_the_partnership_sees_every_month_and_no_average_of_fewer_than_5():
    result = _result(Count(17, 30), {"2026-01": Count(12, 20), "2026-03": Count(5, 10)})
    shown = _report(result, exact=False)
    figure = shown.figures[0]
    months = figure.months
    # February had nothing: it reads fewer than 5 like any small month, and with one month
    # suppressed the smallest other (March's 5 of 10) is withheld too.
    assert [months[m].text("numerator") for m in months] == ["12", "fewer than 5", "withheld"]
    assert [months[m].text("denominator") for m in months] == ["20", "fewer than 5", "withheld"]
    assert (shown.referrer_days, shown.referrer_days_withheld) == (None, True)
    assert (shown.triage_hours, shown.triage_hours_withheld) == (4.0, False)


def test_each_reason_is_counted_out_of_every_return_and_suppressed_for_the_partnership():
    counts = dict.fromkeys(ReturnReasons.labels(), 0) | {
        "participants": 7, "decision": 3, "other": 5, "factual_error": 9, "not_categorised": 2}
    reasons = ReturnReasons(12, counts)
    result = _result(Count(0, 0), {})
    exact = {category: (c.numerator, c.denominator, c.percentage)
             for category, _, c in _report(result, True, reasons).reasons}
    assert exact["participants"] == (7, 12, 58.3)
    assert exact["decision"] == (3, 12, 25.0)
    assert exact["not_categorised"] == (2, 12, 16.7)
    protected = {category: [c.text(n) for n in ("numerator", "denominator", "percentage")]
                 for category, _, c in _report(result, False, reasons).reasons}
    assert protected["participants"] == ["7", "12", "58.3%"]
    assert protected["other"] == ["5", "12", "41.7%"]
    assert protected["decision"] == ["fewer than 5", "12", "withheld"]
    assert protected["not_categorised"] == ["fewer than 5", "12", "withheld"]
    # 9 of 12: the 3 returns without it would follow.
    assert protected["factual_error"] == ["withheld", "12", "withheld"]


def test_a_chart_draws_no_suppressed_month_and_says_so():
    result = _result(Count(17, 30), {"2026-01": Count(12, 20), "2026-03": Count(5, 10)})
    query = ReportQuery.model_validate({"from": "2026-01-01", "to": "2026-03-31"})
    svg = ET.fromstring(chart_of(_report(result, exact=False).figures[0], query))
    ns = {"svg": "http://www.w3.org/2000/svg"}
    desc = svg.find("svg:desc", ns).text
    assert desc.endswith("Not drawn, because the counts are fewer than 5 or withheld: "
                         "Feb 2026, Mar 2026.")
    markers = svg.findall(".//svg:circle", ns)
    assert len(markers) == 1  # January's 60% only
    nothing = _result(Count(3, 4), {"2026-01": Count(3, 4)})
    empty = ET.fromstring(chart_of(_report(nothing, exact=False).figures[0], query))
    texts = [t.text for t in empty.iter("{http://www.w3.org/2000/svg}text")]
    assert "Nothing is drawn: every month's count is fewer than 5 or withheld." in texts
    drawn = ET.fromstring(chart_of(_report(result, exact=True).figures[0], query))
    assert len(drawn.findall(".//svg:circle", ns)) == 2
