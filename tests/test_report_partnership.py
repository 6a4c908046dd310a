"""What the safeguarding partnership reads of the live audit: figures only. No record id,
reference, name, date of birth or comment in the page, the CSV, the PDF or the API; the
reasons for returning records as counted categories, small counts suppressed. Managers see
exact counts, and the API gives them only the ids of records they may see."""

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from app.followup import lifecycle
from app.followup import service as followup
from app.followup.models import FollowUpEntry
from app.records.models import StrategyRecord
from tests.conftest import as_user, make_user
from tests.html import soup, table_rows
from tests.pdf_helpers import pages_text, squashed
from tests.report_world import PERIOD, dated

PERIOD_QUERY = f"from={PERIOD[0].isoformat()}&to={PERIOD[1].isoformat()}"
NAMED = "Ava Carter (born 01/12/2025) was not seen: say why, and ask Leo Carter's school"
LEGACY = "Leo Carter, date of birth 2019-03-04, needs his GP's view"


@pytest.fixture
def returns(session, world):
    """Twelve returns of records in the report: B's (decision, factual error), R's through
    the service with a comment naming a child and her date of birth, eight with chosen
    reasons and two from before reasons were chosen (comments only)."""
    r = world.finalised("R", dated(datetime(2026, 3, 16, 10)))
    r = followup.return_record(session, r, world.manager, r.revision, NAMED,
                               ["child_experience"])
    lifecycle.finalise_record(session, record=r, expected_revision=r.revision,
                              finalised_by=world.sw)
    chosen = [["participants", "factual_error"]] * 6 + [["participants", "other"],
                                                        ["decision", "other"]]
    details = [{"reasons": reasons, "comments": NAMED} for reasons in chosen]
    details += [{"comments": LEGACY}, {"comments": LEGACY}]
    for n, detail in enumerate(details):
        session.add(FollowUpEntry(record_id=world.ids["ABCDEG"[n % 6]], version=1,
                                  kind="returned", at=datetime.now(UTC), by_name="Mo",
                                  details=detail))
    session.commit()
    return world



def _never_named(session, world) -> list[str]:
    """What no partnership answer may hold: children's and people's names, dates of birth
    (as stored and as typed in comments), comments, and record references."""
    texts = ["Ava Carter", "Leo Carter", "Baby Carter", "Mark Carter", "Priya Shah",
             "DC Evans", "Sam Lee", "Ms Hill", "01/12/2025", "2019-03-04", "chronology",
             "was not seen", "GP's view"]
    for record in session.exec(select(StrategyRecord)).all():
        texts.append(record.reference)
        for child in record.content.children:
            if child.date_of_birth:
                texts.append(child.date_of_birth.isoformat())
    return texts


def _reason_rows(page) -> dict[str, list[str]]:
    rows = table_rows(page.select_one("#return-reasons"))
    return {row[0]: row[1:] for row in rows}


def test_the_partnership_page_counts_reasons_and_names_no_one(anonymous, session, returns):
    partnership = make_user(session, "pat", "partnership")
    client = as_user(anonymous, session, partnership)
    answer = client.get(f"/reports/audit?{PERIOD_QUERY}")
    page = soup(answer)
    text = page.get_text(" ")
    for secret in _never_named(session, returns):
        assert secret not in text and secret not in answer.text, secret
    assert [a["href"] for a in page.select("main a") if "/strategies" in a["href"]
            or "/records" in a["href"]] == []
    reasons = _reason_rows(page)
    assert reasons["Who took part is unclear or incomplete"] == ["7", "12", "58.3%"]
    # 7 of 12 with a factual error: the 5 without it are not small.
    assert reasons["A factual error"] == ["7", "12", "58.3%"]
    assert reasons["The decision or its reasons are unclear"] == [
        "fewer than 5", "12", "withheld"]
    assert reasons["Not categorised (returned before reasons were chosen)"] == [
        "fewer than 5", "12", "withheld"]
    assert reasons["An agency's position is missing"] == ["fewer than 5", "12", "withheld"]
    assert page.select_one("#suppression-note") is not None
    # Every month of a figure with one record a month reads "fewer than 5".
    figure = soup(client.get(f"/reports/audit/figures/authorised?{PERIOD_QUERY}"))
    months = table_rows(figure.select_one("main table"))
    assert {tuple(row[1:]) for row in months} == {("fewer than 5", "fewer than 5", "withheld")}
    assert "Not drawn, because the counts are fewer than 5 or withheld: January 2026" in (
        figure.select_one("figcaption").get_text(" "))
    assert figure.select("svg circle") == []


def test_managers_see_the_exact_reason_counts(anonymous, session, returns):
    page = soup(as_user(anonymous, session, returns.manager).get(f"/reports/audit?{PERIOD_QUERY}"))
    reasons = _reason_rows(page)
    assert reasons["The decision or its reasons are unclear"] == ["2", "12", "16.7%"]
    assert reasons["The child's experience is missing or not observed"] == ["1", "12", "8.3%"]
    assert reasons["Other"] == ["2", "12", "16.7%"]
    assert reasons["Not categorised (returned before reasons were chosen)"] == [
        "2", "12", "16.7%"]
    assert reasons["An agency's position is missing"] == ["0", "12", "0%"]
    assert page.select_one("#suppression-note") is None
    assert NAMED not in page.get_text(" ") and LEGACY not in page.get_text(" ")


def test_the_partnership_csv_and_pdf_name_no_one(anonymous, session, returns):
    client = as_user(anonymous, session, make_user(session, "pat", "partnership"))
    answer = client.get(f"/reports/audit.csv?{PERIOD_QUERY}")
    text = answer.content.decode("utf-8-sig")
    for secret in _never_named(session, returns):
        assert secret not in text, secret
    rows = {(row["figure_id"], row["period"]): row
            for row in csv.DictReader(io.StringIO(text))}
    whole = f"{PERIOD[0].isoformat()}/{PERIOD[1].isoformat()}"
    reviewed = rows[("edt-reviewed-on-time", whole)]
    assert (reviewed["numerator"], reviewed["denominator"], reviewed["percentage"]) == (
        "fewer than 5", "fewer than 5", "withheld")
    participants = rows[("returned.reason.participants", whole)]
    assert (participants["numerator"], participants["denominator"],
            participants["percentage"]) == ("7", "12", "58.3")
    pdf = client.get(f"/reports/audit.pdf?{PERIOD_QUERY}")
    assert pdf.status_code == 200
    printed = squashed(" ".join(pages_text(pdf.content)))
    for secret in _never_named(session, returns):
        assert squashed(secret) not in printed, secret
    assert squashed("Who took part is unclear or incomplete 7 12 58.3%") in printed
    assert squashed("The decision or its reasons are unclear fewer than 5 12 withheld") in printed


def test_the_partnership_api_has_no_record_ids_and_says_what_is_suppressed(
        anonymous, session, returns):
    client = as_user(anonymous, session, make_user(session, "pat", "partnership"))
    answer = client.get(f"/api/reports/audit?{PERIOD_QUERY}")
    assert answer.status_code == 200
    for secret in _never_named(session, returns):
        assert secret not in answer.text, secret
    body = answer.json()
    assert {figure["record_ids"] is None for figure in body["figures"]} == {True}
    assert {figure["records_url"] is None for figure in body["figures"]} == {True}
    assert client.get(f"/api/reports/audit/figures/authorised/records?{PERIOD_QUERY}"
                      ).status_code == 403
    figures = {figure["id"]: figure for figure in body["figures"]}
    reviewed = figures["edt-reviewed-on-time"]
    assert (reviewed["numerator"], reviewed["denominator"], reviewed["percentage"]) == (
        None, None, None)
    assert reviewed["suppressed"] == {"numerator": "fewer_than_5",
                                      "denominator": "fewer_than_5",
                                      "percentage": "protects_small_count"}
    # Every month is listed, so an absent month gives no zero away.
    assert [m["month"] for m in reviewed["months"]] == [
        "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert {json.dumps(m["suppressed"], sort_keys=True) for m in reviewed["months"]} == {
        json.dumps({"denominator": "fewer_than_5", "numerator": "fewer_than_5"})}
    reasons = {r["reason"]: r for r in body["return_reasons"]}
    assert (reasons["participants"]["returns"], reasons["participants"]["out_of"],
            reasons["participants"]["suppressed"]) == (7, 12, {})
    assert (reasons["decision"]["returns"], reasons["decision"]["suppressed"]) == (
        None, {"returns": "fewer_than_5", "percentage": "protects_small_count"})
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert set(schema["Withheld"]["enum"]) == {"fewer_than_5", "protects_small_count"}
    assert "suppressed" in schema["FigureOut"]["properties"]


def test_a_manager_gets_only_the_ids_of_records_they_may_see(anonymous, session, returns):
    south = make_user(session, "sue", "manager", team="South")
    client = as_user(anonymous, session, south)
    body = client.get(f"/api/reports/audit?{PERIOD_QUERY}").json()
    figures = {figure["id"]: figure | {"record_ids": client.get(figure["records_url"]).json()[
        "record_ids"]} for figure in body["figures"]}
    ids = returns.ids
    seen = {i for figure in figures.values() for i in figure["record_ids"]}
    # Their own team's record and the EDT-led ones (open to all social care); never North's.
    assert seen == {ids["S"], ids["D"], ids["E"]}
    assert figures["authorised"]["numerator"] == 1  # A, North's: counted, not listed
    assert figures["authorised"]["record_ids"] == []
    assert figures["edt-reviewed-on-time"]["record_ids"] == [ids["D"]]
    north = as_user(anonymous, session, returns.manager)
    authorised = {f["id"]: f for f in north.get(f"/api/reports/audit?{PERIOD_QUERY}").json()[
        "figures"]}["authorised"]
    assert north.get(authorised["records_url"]).json()["record_ids"] == [ids["A"]]
    for record_id in seen:
        assert as_user(anonymous, session, south).get(f"/api/strategies/{record_id}").status_code == 200


def test_the_partnership_reads_whole_complete_months_only(anonymous, session, world):
    from app.domain.schema import uk_now
    from tests.html import error_summary

    client = as_user(anonymous, session, make_user(session, "pat", "partnership"))
    # Two reports a day apart would single out that day's records: the period is widened to
    # whole months, whatever days are typed.
    body = client.get("/api/reports/audit?from=2026-02-10&to=2026-06-14").json()
    assert (body["start"], body["end"]) == ("2026-02-01", "2026-06-30")
    page = soup(client.get("/reports/audit?from=2026-02-10&to=2026-06-14"))
    assert page.select_one("#from")["value"] == "2026-02-10"  # what was typed stays
    assert "Discussions from 1 February 2026 to 30 June 2026" in " ".join(
        page.get_text().split())
    # This month is not complete yet: nothing of it is shown.
    this_month = uk_now().date().replace(day=1)
    answer = client.get(f"/reports/audit?from={this_month.isoformat()}")
    assert answer.status_code == 422
    last = (this_month - timedelta(days=1)).replace(day=1)
    assert error_summary(soup(answer)) == {"#from": (
        "The partnership's figures are for complete months: choose a period that starts on "
        f"or before {last.day} {last:%B %Y}")}
    assert client.get(f"/reports/audit.csv?from={this_month.isoformat()}").status_code == 422
    # By default: the twelve complete months before this one.
    default = client.get("/api/reports/audit").json()
    end = this_month - timedelta(days=1)
    start = date(end.year, 1, 1) if end.month == 12 else date(end.year - 1, end.month + 1, 1)
    assert (default["start"], default["end"]) == (start.isoformat(), end.isoformat())
    # A manager's period is exactly as chosen.
    exact = as_user(anonymous, session, world.manager).get(
        "/api/reports/audit?from=2026-02-10&to=2026-06-14").json()
    assert (exact["start"], exact["end"]) == ("2026-02-10", "2026-06-14")
