"""The live audit as its users see it: the page, a figure's chart, the records behind a
figure, the CSV, the PDF and the API; who may see what (the partnership sees figures and no
record; partner agencies see none of it); bad choices get a clear error."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from app.auth.models import AuditEvent
from app.domain.schema import StrategyRecordData
from app.followup import lifecycle
from app.followup import service as followup
from app.records.models import StrategyRecord
from app.reports.families import Scope
from app.reports.figures import FIGURES, record_ids
from app.web.access import visible_filter
from tests.conftest import as_user, make_user
from tests.html import error_summary, soup, table_rows
from tests.pdf_helpers import pages_text, squashed
from tests.report_world import PERIOD

PERIOD_QUERY = f"from={PERIOD[0].isoformat()}&to={PERIOD[1].isoformat()}"



def _figure_row(page, figure_id: str) -> list[str]:
    row = page.select_one(f"#figure-{figure_id}")
    return [" ".join(cell.get_text(" ").split()) for cell in row.select("th, td")]


def test_the_manager_sees_every_figure_with_numbers_that_lead_to_its_records(
        anonymous, session, world):
    client = as_user(anonymous, session, world.manager)
    answer = client.get(f"/reports/audit?{PERIOD_QUERY}")
    assert answer.status_code == 200
    page = soup(answer)
    label, count, out_of, share = _figure_row(page, "edt-reviewed-on-time")
    assert (label, count, out_of, share) == (
        "EDT-led records reviewed by the day team by the review date",
        "1 (see these records)", "2 (see all records counted)", "50%")
    link = page.select_one("#figure-edt-reviewed-on-time td a")["href"]
    listed = soup(client.get(link))
    references = {row[0].split()[0] for row in table_rows(listed.select_one("main table"))}
    expected = session.get(StrategyRecord, world.ids["D"]).reference
    assert references == {expected}
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "viewed").order_by(
        AuditEvent.id.desc())).first()
    assert event.detail.startswith("records behind live audit figure edt-reviewed-on-time")


def test_a_figure_page_draws_its_chart_and_gives_the_same_numbers_in_a_table(
        anonymous, session, world):
    client = as_user(anonymous, session, world.manager)
    page = soup(client.get(f"/reports/audit/figures/update-on-time?{PERIOD_QUERY}"))
    chart = page.select_one("figure svg")
    assert chart.find("title").get_text() == "Update-all-agencies actions done by their date"
    assert chart.get("role") == "img"
    rows = table_rows(page.select_one("main table"))
    assert [row[0] for row in rows] == [
        "January 2026", "February 2026", "March 2026", "April 2026", "May 2026", "June 2026"]
    assert rows[0][1:] == ["1", "1", "100%"]  # A, on time
    assert rows[1][1:] == ["0", "1", "0%"]  # B, late
    assert page.find("script") is None or all(s.get("src") for s in page.find_all("script"))


def test_the_partnership_sees_figures_but_no_record(anonymous, session, world):
    partnership = make_user(session, "pat", "partnership")
    client = as_user(anonymous, session, partnership)
    page = soup(client.get(f"/reports/audit?{PERIOD_QUERY}"))
    # 1 of 2 (exact for managers): both counts are small.
    assert _figure_row(page, "edt-reviewed-on-time")[1:] == [
        "fewer than 5", "fewer than 5", "withheld"]
    assert page.select("main td a") == []
    assert client.get(f"/reports/audit/figures/returned/records?{PERIOD_QUERY}").status_code == 403
    assert client.get(f"/strategies/{world.ids['A']}").status_code == 404
    assert client.get(f"/api/strategies/{world.ids['A']}").status_code == 404
    api = client.get(f"/api/reports/audit?{PERIOD_QUERY}")
    assert api.status_code == 200


@pytest.mark.parametrize("path", ["/reports/audit", "/reports/audit/figures/returned",
                                  "/reports/audit.csv", "/reports/audit.pdf",
                                  "/api/reports/audit"])
def test_partner_agencies_and_social_workers_see_none_of_it(anonymous, session, world, path):
    for user in (world.police, world.sw):
        client = as_user(anonymous, session, user)
        assert client.get(f"{path}?{PERIOD_QUERY}").status_code == 403


def test_a_bad_period_is_shown_again_with_an_error_summary(anonymous, session, world):
    client = as_user(anonymous, session, world.manager)
    answer = client.get("/reports/audit?from=2026-06-31&to=2026-01-01&team=North")
    assert answer.status_code == 422
    page = soup(answer)
    assert error_summary(page) == {"#from": "Enter the start date as a real date, like 2026-01-31"}
    assert page.select_one("#from")["value"] == "2026-06-31"
    assert page.select_one("#team option[selected]")["value"] == "North"
    backwards = soup(client.get("/reports/audit?from=2026-06-30&to=2026-01-01"))
    assert error_summary(backwards) == {
        "#from": "The start date must be on or before the end date"}
    for far in ("from=0001-01-01&to=2026-01-01", "from=2026-01-01&to=9999-12-31"):
        assert error_summary(soup(client.get(f"/reports/audit?{far}"))) == {
            "#from": "Choose dates from 1990 to 2100"}
        assert client.get(f"/api/reports/audit?{far}").status_code == 422
        assert client.get(f"/reports/audit.csv?{far}").status_code == 422
    api = client.get("/api/reports/audit?from=2026-06-30&to=2026-01-01")
    assert api.status_code == 422
    assert api.json()["detail"][0]["loc"] == ["query", "from"]


def test_unknown_figures_and_lists_are_not_found(anonymous, session, world):
    client = as_user(anonymous, session, world.manager)
    assert client.get("/reports/audit/figures/nothing").status_code == 404
    assert client.get(
        f"/reports/audit/figures/returned/records?{PERIOD_QUERY}&which=all").status_code == 404
    assert client.get(
        f"/reports/audit/figures/never-opened/records?{PERIOD_QUERY}&part=spies").status_code == 404
    # A NUL is refused at the edge, as everywhere.
    assert client.get(
        f"/reports/audit/figures/never-opened/records?{PERIOD_QUERY}&part=%00").status_code == 400


def test_the_csv_has_every_figure_whole_and_by_month_and_reasons_not_comments(
        anonymous, session, world):
    client = as_user(anonymous, session, world.manager)
    record = session.get(StrategyRecord, world.ids["A"])
    from app.followup.models import FollowUpEntry
    session.add(FollowUpEntry(record_id=record.id, version=1, kind="returned",
                              at=record.finalised_at, by_name="Mo",
                              details={"comments": "=HYPERLINK(\"http://x\")"}))
    session.commit()
    answer = client.get(f"/reports/audit.csv?{PERIOD_QUERY}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    whole = {row["figure_id"]: row for row in rows if row["period"] == "2026-01-01/2026-06-30"}
    assert (whole["edt-reviewed-on-time"]["numerator"],
            whole["edt-reviewed-on-time"]["denominator"],
            whole["edt-reviewed-on-time"]["percentage"]) == ("1", "2", "50.0")
    assert whole["requests-by-agency.school"]["numerator"] == "2"
    months = [row["period"] for row in rows if row["figure_id"] == "update-on-time"]
    assert months == ["2026-01-01/2026-06-30", "2026-01", "2026-02", "2026-03", "2026-04",
                      "2026-05", "2026-06"]
    # B's return gave two reasons; the entry added above, from before reasons were chosen,
    # is counted as not categorised. No comment is in the file.
    reasons = {row["figure_id"]: (row["figure"], row["numerator"], row["denominator"],
                                  row["percentage"])
               for row in rows if row["figure_id"].startswith("returned.reason.")}
    assert reasons["returned.reason.decision"] == (
        "Returns giving the reason: The decision or its reasons are unclear", "1", "2", "50.0")
    assert reasons["returned.reason.not_categorised"] == (
        "Returns giving the reason: Not categorised (returned before reasons were chosen)",
        "1", "2", "50.0")
    assert reasons["returned.reason.participants"][1:] == ("0", "2", "0.0")
    assert len(reasons) == 9
    text = answer.content.decode("utf-8-sig")
    assert "HYPERLINK" not in text and "chronology" not in text


def test_the_pdf_has_every_figure_and_chart_and_is_marked_on_every_page(
        anonymous, session, world):
    client = as_user(anonymous, session, world.manager)
    answer = client.get(f"/reports/audit.pdf?{PERIOD_QUERY}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    pages = pages_text(answer.content)
    assert all(page.count("OFFICIAL-SENSITIVE") == 2 for page in pages)
    text = squashed(" ".join(pages))
    assert squashed("EDT-led records reviewed by the day team by the review date") in text
    # Each chart's title is drawn as text in the PDF.
    assert text.count(squashed("Update-all-agencies actions done by their date")) >= 2


def test_the_api_gives_every_figure_with_the_records_behind_it(anonymous, session, world):
    client = as_user(anonymous, session, world.manager)
    answer = client.get(f"/api/reports/audit?{PERIOD_QUERY}")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["start"], body["end"]) == ("2026-01-01", "2026-06-30")
    figures = {f["id"]: f for f in body["figures"]}
    reviewed = figures["edt-reviewed-on-time"]
    assert (reviewed["numerator"], reviewed["denominator"], reviewed["percentage"]) == (1, 2, 50.0)
    # The ids behind a figure are not in the report: each figure says where to list them.
    assert {f["record_ids"] for f in body["figures"]} == {None}
    assert client.get(reviewed["records_url"]).json() == {
        "figure": "edt-reviewed-on-time", "record_ids": [world.ids["D"]], "next_after": None}
    assert client.get(figures["returned"]["records_url"]).json()["record_ids"] == [
        world.ids["B"]]
    assert figures["requests-by-agency.police"]["numerator"] == 2
    assert [m["month"] for m in figures["update-on-time"]["months"]] == [
        "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


def test_the_records_behind_a_figure_come_a_page_at_a_time(anonymous, session, world):
    client = as_user(anonymous, session, world.manager)
    report = client.get(f"/api/reports/audit?{PERIOD_QUERY}").json()
    # The whole figure with the most records behind it, listed a page at a time.
    figure = max((f for f in report["figures"] if "." not in f["id"]),
                 key=lambda f: f["numerator"])
    url = f"/api/reports/audit/figures/{figure['id']}/records?{PERIOD_QUERY}"
    every = client.get(url).json()
    assert len(every["record_ids"]) >= 2 and every["next_after"] is None
    # In order of the discussion's day, then id: read from the figure's rows day by day.
    records = [session.get(StrategyRecord, i) for i in every["record_ids"]]
    assert records == sorted(records, key=lambda r: (r.sort_at.date(), r.id))
    first = client.get(f"{url}&limit=1").json()
    assert first == {"figure": figure["id"], "record_ids": every["record_ids"][:1],
                     "next_after": f"{records[0].sort_at.date()}~{records[0].id}"}
    rest = client.get(f"{url}&limit=1000&after={first['next_after']}").json()
    assert rest["record_ids"] == every["record_ids"][1:] and rest["next_after"] is None
    # A page at a time, each record once.
    paged, after = [], ""
    while True:
        page = client.get(f"{url}&limit=1{after}").json()
        paged += page["record_ids"]
        if page["next_after"] is None:
            break
        after = f"&after={page['next_after']}"
    assert paged == every["record_ids"]
    # Anything but a page's next_after is refused, not a 500.
    for bad in ("x", "12", "2026-01-01~", "2026-13-01~1", "2026-01-01~-1", "2026-01-01~1e3",
                "2026-01-01~99999999999", "2026-01-01~\u0661"):
        answer = client.get(url, params={"after": bad})
        assert answer.status_code == 422, bad
        assert answer.json()["detail"][0]["loc"] == ["query", "after"]
    police = client.get(f"/api/reports/audit/figures/requests-by-agency.police/records?"
                        f"{PERIOD_QUERY}").json()
    assert police["figure"] == "requests-by-agency.police"
    # A request's figure (requests are placed by when they were made) in id order.
    requests_url = f"/api/reports/audit/figures/requests-by-agency/records?{PERIOD_QUERY}"
    requested = client.get(requests_url).json()["record_ids"]
    assert len(requested) >= 2 and requested == sorted(requested)
    first = client.get(f"{requests_url}&limit=1").json()
    assert first["next_after"] == str(requested[0])
    assert client.get(f"{requests_url}&after={first['next_after']}").json()["record_ids"] == (
        requested[1:])
    assert client.get(requests_url, params={"after": "2026-01-01~1"}).status_code == 422
    assert client.get(url.replace(figure["id"], "no-such-figure")).status_code == 404
    assert client.get(url.replace(f"{figure['id']}/", f"{figure['id']}.nowhere/")
                      ).status_code == 404
    assert client.get(f"{url}&limit=0").status_code == 422


def test_a_record_whose_amendment_moves_its_discussion_out_of_the_period_is_still_listed(
        anonymous, session, world):
    """A figure counts a record by its version in force, discussed in the period; the list
    shows its draft, wherever its amended date puts it. Every figure's records, in both
    orders, are those the figure counts, in the list's order."""
    moved = {"A": datetime(2025, 11, 3, 10), "G": datetime(2026, 9, 1, 10)}
    for name, at in moved.items():
        record = session.get(StrategyRecord, world.ids[name])
        record = followup.amend(session, record, world.sw, record.revision, "The date was wrong")
        data = record.content.model_dump(mode="json")
        data["header"] |= {"discussion_at": at.isoformat(),
                           "concern_at": (at - timedelta(hours=5)).isoformat()}
        lifecycle.save_record(session, record=record, data=StrategyRecordData.model_validate(
            data, context={"stored": True}), expected_revision=record.revision)
    client = as_user(anonymous, session, world.manager)
    scope = Scope(*PERIOD)
    references = {}
    for figure in FIGURES:
        ids = record_ids(figure, scope, numerator=False).scalar_subquery()
        for sort in ("newest", "oldest"):
            answer = client.get(f"/reports/audit/figures/{figure.id}/records?{PERIOD_QUERY}"
                                f"&which=denominator&sort={sort}")
            assert answer.status_code == 200
            table = soup(answer).select_one("main table")
            listed = [row[0].split()[0] for row in table_rows(table)] if table else []
            ordered = [StrategyRecord.sort_at, StrategyRecord.id]
            expected = session.exec(
                select(StrategyRecord.reference)
                .where(StrategyRecord.id.in_(ids), visible_filter(world.manager))
                .order_by(*(c.desc() if sort == "newest" else c for c in ordered))).all()
            assert listed == expected, (figure.id, sort)
            references[figure.id, sort] = listed
    # Both moved records are among those every record is asked about, before and after the
    # period's own: first and last, newest first.
    newest = references["participants-recorded", "newest"]
    first, last = (session.get(StrategyRecord, world.ids[n]).reference for n in ("G", "A"))
    assert newest[0] == first and newest[-1] == last
    assert references["participants-recorded", "oldest"] == newest[::-1]
