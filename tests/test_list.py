"""The record list, HTML and JSON: paging, sorting, search, filters, visibility, query count."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import product
from urllib.parse import urlencode

import pytest
from sqlalchemy import event
from sqlmodel import select

from app.domain.schema import StrategyRecordData
from app.followup import lifecycle
from app.records.listing import PAGE_SIZE
from app.records.models import StrategyRecord
from app.visibility import sight
from app.web.access import visible_filter
from tests.builders import recipients, record_with
from tests.conftest import make_user, signed_in
from tests.html import soup
from tests.shared_helpers import listed_record as make


def references(response) -> list[str]:
    return [a.get_text() for a in soup(response).select("#records tbody tr td:first-child a")]


def test_pages_of_25_newest_first_with_next_and_previous(client, session):
    made = [make(session, days_ago=i) for i in range(2 * PAGE_SIZE + 3)]
    first = client.get("/strategies")
    assert references(first) == [r.reference for r in made[:PAGE_SIZE]]
    assert soup(first).select_one("a[rel=prev]") is None
    second = client.get(soup(first).select_one("a[rel=next]")["href"])
    assert references(second) == [r.reference for r in made[PAGE_SIZE:2 * PAGE_SIZE]]
    third = client.get(soup(second).select_one("a[rel=next]")["href"])
    assert references(third) == [r.reference for r in made[2 * PAGE_SIZE:]]
    assert soup(third).select_one("a[rel=next]") is None
    back = client.get(soup(third).select_one("a[rel=prev]")["href"])
    assert references(back) == references(second)
    back = client.get(soup(back).select_one("a[rel=prev]")["href"])
    assert references(back) == references(first)
    assert soup(back).select_one("a[rel=prev]") is None


def test_records_on_the_same_discussion_time_page_by_id(client, session):
    made = [make(session) for _ in range(PAGE_SIZE + 2)]
    first = client.get("/strategies?sort=oldest")
    second = client.get(soup(first).select_one("a[rel=next]")["href"])
    assert references(first) + references(second) == [r.reference for r in made]


def test_oldest_first_and_filters_kept_when_paging(client, session):
    made = [make(session, days_ago=i, names=("Ava Stone",)) for i in range(PAGE_SIZE + 1)]
    make(session, days_ago=100, names=("Leo Carter",))
    answer = client.get("/strategies?sort=oldest&q=ava")
    assert references(answer) == [r.reference for r in reversed(made)][:PAGE_SIZE]
    last = made[1]
    assert soup(answer).select_one("a[rel=next]")["href"] == "/strategies?" + urlencode(
        {"q": "ava", "sort": "oldest", "after": f"{last.sort_at.isoformat()}~{last.id}"})
    assert soup(answer).select_one("#q")["value"] == "ava"
    assert soup(answer).select_one("#sort option[selected]")["value"] == "oldest"
    following = client.get(soup(answer).select_one("a[rel=next]")["href"])
    assert references(following) == [made[0].reference]


def test_search_by_child_name_or_reference(client, session):
    leo = make(session, names=("Leo Carter", "Mia Carter"))
    ava = make(session, names=("Ava Stone",))
    assert references(client.get("/strategies?q=MIA")) == [leo.reference]
    assert references(client.get(f"/strategies?q={ava.reference.lower()}")) == [ava.reference]
    # LIKE wildcards are searched for literally.
    assert references(client.get("/strategies?q=%25")) == []


@pytest.mark.parametrize("query, expected", [
    ("status=finalised", ["final"]),
    ("led_by=edt", ["edt"]),
    ("team=North", ["edt"]),
    ("outcome=nfa", ["nfa"]),
    ("status=draft&outcome=s47_joint", ["plain", "edt"]),
])
def test_filters(client, session, query, expected):
    made = {
        "plain": make(session, days_ago=1),
        "final": make(session, days_ago=2, finalise=True),
        "edt": make(session, days_ago=3, led_by="edt", team="North"),
        "nfa": make(session, days_ago=4, outcome="nfa"),
    }
    assert references(client.get(f"/strategies?{query}")) == [made[k].reference for k in expected]


def test_row_shows_the_read_model(client, session):
    record = make(session, names=("Leo Carter", "Mia Carter"), led_by="edt", outcome="nfa")
    cells = [td.get_text(" ", strip=True) for td in soup(client.get("/strategies")).select(
        "#records tbody tr td")]
    assert cells[0] == record.reference
    assert cells[1] == "Leo Carter, Mia Carter"
    assert cells[3] == "Emergency Duty Team (EDT)"
    assert cells[4] == "Draft"
    assert cells[5] == "No further action"
    assert (record.blocking_failures > 1, record.warnings) == (True, 0)
    assert cells[6] == f"{record.blocking_failures} problems to fix"  # no warnings: not mentioned


def test_a_draft_with_nothing_blocking_reads_ready_to_finalise(client, session):
    from app.domain.schema import StrategyRecordData
    from app.followup import lifecycle
    from tests.builders import complete_record

    lifecycle.create_record(session, data=StrategyRecordData.model_validate(complete_record()), team="Central")
    cells = [td.get_text(" ", strip=True) for td in soup(client.get("/strategies")).select(
        "#records tbody tr td")]
    assert cells[6] == "Ready to finalise"


def test_empty_states(client, session):
    assert soup(client.get("/strategies")).select_one("#empty").get_text() == (
        "There are no strategy records yet.")
    make(session)
    assert soup(client.get("/strategies?q=nobody")).select_one("#empty").get_text() == (
        "No records match these filters.")


def test_invalid_filters_reshow_the_form_with_an_error_summary(client, session):
    make(session)
    answer = client.get("/strategies?status=lost&q=kept&after=yesterday")
    assert answer.status_code == 422
    page = soup(answer)
    summary = {a["href"]: a.get_text() for a in page.select(".govuk-error-summary a")}
    assert summary == {"#status": "Choose a status from the list",
                       "#filters": "Use the Next and Previous links to move through the list"}
    assert page.select_one("#q")["value"] == "kept"
    assert page.select_one("#records") is None


def test_api_list_matches_the_page(client, session):
    made = [make(session, days_ago=i, names=(f"Child {i}",)) for i in range(3)]
    answer = client.get("/api/strategies?sort=oldest")
    assert answer.status_code == 200
    body = answer.json()
    assert [item["reference"] for item in body["items"]] == [r.reference for r in reversed(made)]
    item = body["items"][0]
    assert item["children"] == ["Child 2"]
    assert item["led_by"] == "day_team" and item["outcome"] == "s47_joint"
    assert item["blocking_failures"] == made[2].blocking_failures
    assert item["next_due"] == str(made[2].next_due)
    assert (body["page_size"], body["next_cursor"], body["previous_cursor"]) == (
        PAGE_SIZE, None, None)


def test_api_list_pages_with_cursors(client, session):
    made = [make(session, days_ago=i) for i in range(PAGE_SIZE + 1)]
    first = client.get("/api/strategies").json()
    assert len(first["items"]) == PAGE_SIZE and first["previous_cursor"] is None
    second = client.get("/api/strategies", params={"after": first["next_cursor"]}).json()
    assert [i["id"] for i in second["items"]] == [made[-1].id]
    assert second["next_cursor"] is None
    back = client.get("/api/strategies", params={"before": second["previous_cursor"]}).json()
    assert [i["id"] for i in back["items"]] == [i["id"] for i in first["items"]]


@pytest.mark.parametrize("query, field", [
    ("after=abc", "after"), ("after=2026-01-01T10:00:00~0", "after"),
    ("before=2026-13-01T10:00:00~5", "before"), ("after=2026-01-01T10:00:00%2B01:00~5", "after"),
    ("after=2026-01-01T10:00~5&before=2026-01-01T10:00~5", "before"),
    ("status=lost", "status"), ("sort=sideways", "sort"), ("q=" + "x" * 101, "q"),
])
def test_api_list_bad_parameters_answer_422_naming_the_field(client, query, field):
    answer = client.get(f"/api/strategies?{query}")
    assert answer.status_code == 422
    assert [e["loc"] for e in answer.json()["detail"]] == [["query", field]]


def test_partner_pages_through_only_what_was_sent_to_them(anonymous, session):
    sent = make(session, days_ago=1, distribution=recipients("csc", "police"), finalise=True)
    make(session, days_ago=2, distribution=recipients("csc", "police"))  # a draft
    make(session, days_ago=3, distribution=recipients("csc", "school"), finalise=True)
    police = signed_in(anonymous, session, make_user(session, "pc", "partner", agency="police"))
    assert references(police.get("/strategies")) == [sent.reference]
    assert [i["id"] for i in police.get("/api/strategies").json()["items"]] == [sent.id]


def test_admin_lists_nothing(anonymous, session):
    make(session)
    admin = signed_in(anonymous, session, make_user(session, "root", "admin"))
    assert admin.get("/api/strategies").json()["items"] == []


def test_query_filter_agrees_with_the_per_record_check_record_by_record(session):
    records = []
    for team, led_by, finalise, distribution in product(
        ("Central", "North", None), ("day_team", "edt"), (False, True),
        (("csc", "police"), ("school",), ()),
    ):
        if finalise and not distribution:
            continue  # a record must name its recipients to be finalised
        records.append(make(session, team=team, led_by=led_by, finalise=finalise,
                            distribution=recipients(*distribution)))
    users = [
        make_user(session, "sw", "social_worker", team="Central"),
        make_user(session, "edt", "edt_worker", team="EDT"),
        make_user(session, "mgr", "manager", team="North"),
        make_user(session, "noteam", "social_worker", team=None),
        make_user(session, "pc", "partner", agency="police"),
        make_user(session, "school", "partner", agency="school"),
        make_user(session, "nobody", "partner", agency=None),
        make_user(session, "root", "admin"),
        make_user(session, "lscp", "partnership"),
    ]
    for user in users:
        by_query = set(session.exec(select(StrategyRecord.id).where(visible_filter(user))))
        one_by_one = {r.id for r in records if sight(session, user, r.id) is not None}
        assert by_query == one_by_one, user.username
    assert any(set(session.exec(select(StrategyRecord.id).where(visible_filter(u))))
               for u in users)


@contextmanager
def counting_statements(engine):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_list_page_query_count_does_not_grow_with_records(client, session, engine):
    for i in range(5):
        make(session, days_ago=i)
    with counting_statements(engine) as few:
        assert len(references(client.get("/strategies"))) == 5
        assert len(client.get("/api/strategies").json()["items"]) == 5
    for i in range(45):
        make(session, days_ago=10 + i)
    with counting_statements(engine) as many:
        assert len(references(client.get("/strategies"))) == PAGE_SIZE
        assert len(client.get("/api/strategies").json()["items"]) == PAGE_SIZE
    assert len(few) == len(many)
    assert not any("data" in s.split("FROM")[0] for s in many if "strategy_record" in s)


# --- finalised date, owner, what is overdue (issue 13) -----------------------------------------


def _set(session, record, **columns):
    for name, value in columns.items():
        setattr(record, name, value)
    session.add(record)
    session.commit()
    return record


def rows_by_reference(response) -> dict[str, dict[str, str]]:
    page = soup(response)
    headers = [th.get_text(strip=True) for th in page.select("#records thead th")]
    found = {}
    for tr in page.select("#records tbody tr"):
        cells = [td.get_text(" ", strip=True) for td in tr.select("td")]
        found[cells[0]] = dict(zip(headers, cells, strict=True))
    return found


def test_rows_show_finalised_date_owner_and_what_is_overdue(anonymous, session):

    from app.domain.schema import uk_now

    sam = make_user(session, "sam")
    client = signed_in(anonymous, session, sam)
    today = uk_now().date()
    late = make(session, days_ago=1)
    _set(session, late, created_by_id=sam.id, next_due=today - timedelta(days=3))
    due_today = _set(session, make(session, days_ago=2), next_due=today)
    # 23:30 UTC on 30 June is 00:30 on 1 July in the UK (summer time).
    final = _set(session, make(session, days_ago=3, finalise=True),
                 finalised_at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC),
                 referrer_feedback_due=True, next_due=None)
    edt = _set(session, make(session, days_ago=4, led_by="edt", finalise=True),
               review_due=today - timedelta(days=1), next_due=today - timedelta(days=1))
    reviewed = _set(session, make(session, days_ago=5, led_by="edt", finalise=True),
                    review_due=today - timedelta(days=1), reviewed_at=datetime.now(UTC),
                    next_due=None)
    rows = rows_by_reference(client.get("/strategies"))
    assert list(rows[late.reference]) == [
        "Reference", "Children", "Discussion", "Led by", "Status", "Outcome", "Still to do",
        "Finalised", "Overdue", "Owner"]
    three_days_ago = today - timedelta(days=3)
    assert rows[late.reference]["Overdue"] == f"Overdue since {three_days_ago:%-d %b %Y}"
    assert (rows[late.reference]["Owner"], rows[late.reference]["Finalised"]) == (
        "Sam", "Not finalised")
    assert rows[due_today.reference]["Overdue"] == "None"
    assert rows[due_today.reference]["Owner"] == "Not recorded"  # started by nobody known
    assert rows[final.reference]["Finalised"] == "1 Jul 2026"
    assert rows[final.reference]["Overdue"] == "Referrer not told"
    yesterday = today - timedelta(days=1)
    assert rows[edt.reference]["Overdue"] == (
        f"Overdue since {yesterday:%-d %b %Y} Day-team review overdue")
    assert rows[reviewed.reference]["Overdue"] == "None"
    tag = soup(client.get("/strategies")).find(string=f"Overdue since {three_days_ago:%-d %b %Y}")
    assert tag.parent["class"] == ["govuk-tag", "govuk-tag--red"]

    items = {i["reference"]: i for i in client.get("/api/strategies").json()["items"]}
    assert items[late.reference]["owner"] == "Sam"
    assert items[late.reference]["overdue_since"] == str(three_days_ago)
    assert items[due_today.reference]["overdue_since"] is None
    assert items[final.reference]["finalised_at"] == "2026-06-30T23:30:00Z"
    assert items[final.reference]["referrer_not_told"] is True
    assert [items[r.reference]["day_team_review_overdue"] for r in (edt, reviewed, final)] == [
        True, False, False]


def test_a_partner_sees_no_follow_up_flags_of_social_care(anonymous, session):
    from app.domain.schema import uk_now

    today = uk_now().date()
    record = _set(session, make(session, led_by="edt", finalise=True),
                  review_due=today - timedelta(days=1), referrer_feedback_due=True,
                  next_due=None)
    police = signed_in(anonymous, session, make_user(session, "pc", "partner", agency="police"))
    rows = rows_by_reference(police.get("/strategies"))
    assert rows[f"{record.reference} New"]["Overdue"] == "None"
    item = police.get("/api/strategies").json()["items"][0]
    assert (item["day_team_review_overdue"], item["referrer_not_told"]) == (False, False)


def test_a_damaged_row_still_fills_the_table(client, session):
    record = _set(session, make(session), damaged=True, damage_reason="header: broken")
    row = soup(client.get("/strategies")).select_one("#records tbody tr")
    assert sum(int(td.get("colspan", 1)) for td in row.select("td")) == 10
    assert row.select("td")[-1].get_text(strip=True) == "Not recorded"
    assert row.select_one("td a").get_text() == record.reference


# --- restricting the list to some records (a report's "records behind this figure") ----------


def test_list_page_restricted_to_some_records_still_applies_visibility_and_filters(session):
    from app.records.list_query import ListQuery
    from app.records.listing import count_listed, list_page
    from app.web.access import visible_records

    made = [make(session, days_ago=i, team="Central") for i in range(5)]
    north = make(session, days_ago=9, team="North")
    wanted = [made[0].id, made[2].id, made[4].id, north.id]
    restrict = StrategyRecord.id.in_(wanted)
    sam = make_user(session, "sam")
    page = visible_records(session, sam, ListQuery(), restrict=restrict)
    assert [i.id for i in page.items] == [made[0].id, made[2].id, made[4].id]  # not North's
    assert not page.has_next
    # Keyset paging works within the restriction.
    first = visible_records(session, sam, ListQuery(sort="oldest"), restrict=restrict,
                            page_size=2)
    assert [i.id for i in first.items] == [made[4].id, made[2].id] and first.has_next
    second = visible_records(session, sam, ListQuery(sort="oldest", after=first.next_cursor),
                             restrict=restrict, page_size=2)
    assert [i.id for i in second.items] == [made[0].id] and not second.has_next
    # The query's own filters still apply, and the count agrees.
    assert [i.id for i in list_page(session, visible_filter(sam), ListQuery(q=made[2].reference),
                                    restrict=restrict).items] == [made[2].id]
    assert count_listed(session, visible_filter(sam), ListQuery(), restrict=restrict) == 3
    # Without a restriction, everything visible.
    assert len(visible_records(session, sam, ListQuery()).items) == 5


# --- the list as CSV -----------------------------------------------------------------------------


def read_csv(response) -> list[dict[str, str]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def test_the_csv_holds_every_page_of_the_filtered_list(client, session):

    from app.auth.models import AuditEvent
    from app.domain.schema import uk_now

    today = uk_now().date()
    made = [make(session, days_ago=i, names=("=HYPERLINK(\"http://x\")", "Mia Carter"))
            for i in range(PAGE_SIZE + 2)]
    make(session, days_ago=99, outcome="nfa")  # filtered out
    _set(session, made[0], next_due=today - timedelta(days=1))
    final = _set(session, made[1], status="finalised", next_due=today,
                 finalised_at=datetime(2026, 6, 30, 23, 30, 5, 123456, tzinfo=UTC))
    page = soup(client.get("/strategies?outcome=s47_joint&after=" + made[3].sort_at.isoformat()
                           + f"~{made[3].id}"))
    link = page.select_one("#download-csv")
    assert link.get_text() == "Download this list (CSV)"
    assert link["href"] == "/strategies.csv?outcome=s47_joint"  # every page, not from here
    answer = client.get(link["href"])
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="strategy-records-{today.isoformat()}.csv"')
    rows = read_csv(answer)
    assert [row["Reference"] for row in rows] == [r.reference for r in made]
    assert list(rows[0]) == [
        "Reference", "Status", "Version", "Team", "Led by", "Discussion (UK time)", "Outcome",
        "Children", "Finalised at", "Owner", "Next due", "Overdue", "Blocking problems",
        "Warnings"]
    first = rows[0]
    assert first["Children"] == "'=HYPERLINK(\"http://x\"); Mia Carter"
    assert (first["Status"], first["Version"], first["Team"], first["Led by"]) == (
        "Draft", "1", "Central", "Day team")
    assert first["Discussion (UK time)"] == made[0].discussion_at.isoformat()
    assert first["Outcome"] == "Joint section 47 enquiry with police"
    assert (first["Next due"], first["Overdue"]) == ((today - timedelta(days=1)).isoformat(), "yes")
    assert (first["Blocking problems"], first["Warnings"]) == (
        str(made[0].blocking_failures), str(made[0].warnings))
    assert (first["Finalised at"], first["Owner"]) == ("", "")
    second = rows[1]
    assert (second["Status"], second["Overdue"], second["Next due"]) == (
        "Finalised", "no", today.isoformat())
    assert second["Finalised at"] == "2026-07-01T00:30:05+01:00"  # UK time, with its offset
    assert final.reference == second["Reference"]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "exported")).one()
    assert (event.username, event.detail) == (
        "sam", f"record list CSV with outcome=s47_joint: {PAGE_SIZE + 2} rows")


def test_the_csv_of_an_empty_or_unfiltered_list(client, session):
    from app.auth.models import AuditEvent

    assert read_csv(client.get("/strategies.csv")) == []
    assert client.get("/strategies.csv").content.startswith(b"\xef\xbb\xbfReference,Status,")
    assert soup(client.get("/strategies")).select_one("#download-csv") is None  # nothing to get
    make(session)
    assert soup(client.get("/strategies")).select_one("#download-csv")["href"] == "/strategies.csv"
    details = session.exec(select(AuditEvent.detail).where(AuditEvent.action == "exported")).all()
    assert details == ["record list CSV unfiltered: 0 rows", "record list CSV unfiltered: 0 rows"]


def test_the_csv_with_bad_filters_shows_the_list_saying_what_to_correct(client, session):
    answer = client.get("/strategies.csv?status=lost")
    assert answer.status_code == 422
    summary = [a.get_text() for a in soup(answer).select(".govuk-error-summary a")]
    assert summary == ["Choose a status from the list"]


def test_a_partners_csv_shows_what_their_list_shows(anonymous, session):
    from app.followup import service as followup

    sent = make(session, days_ago=1, distribution=recipients("police"), finalise=True)
    amending = lifecycle.create_record(session, data=record_with(), team="Central")
    amending = lifecycle.finalise_record(session, record=amending, expected_revision=None)
    sw = make_user(session, "sw")
    amending = followup.amend(session, amending, sw, amending.revision, "Her name was misspelt")
    changed = amending.content.model_dump()
    changed["children"][0]["name"] = "Leo Carterson"
    changed["decision"]["outcome"] = "nfa"
    lifecycle.save_record(session, record=amending,
                          data=StrategyRecordData.model_validate(changed), expected_revision=None)
    make(session, days_ago=3, distribution=recipients("school"), finalise=True)
    police = signed_in(anonymous, session, make_user(session, "pc", "partner", agency="police"))
    rows = read_csv(police.get("/strategies.csv"))
    assert [row["Reference"] for row in rows] == [amending.reference, sent.reference]
    # The version sent to them, never the amendment being drafted (its status, names, outcome).
    assert (rows[0]["Status"], rows[0]["Children"]) == ("Finalised", "Leo Carter")
    assert rows[0]["Outcome"] == "Joint section 47 enquiry with police"


def test_the_export_reads_the_list_in_keyset_batches(session, engine):
    from app.records.list_query import ListQuery
    from app.web.access import all_visible

    made = [make(session, days_ago=i) for i in range(5)]
    sam = make_user(session, "sam")
    with counting_statements(engine) as statements:
        got = [r.id for r in all_visible(sam, ListQuery(sort="oldest"), batch_size=2)]
    assert got == [r.id for r in reversed(made)]
    listing = [s for s in statements if "FROM strategy_record" in s]
    assert len(listing) == 3 and all("LIMIT" in s for s in listing)


def test_the_streamed_csv_is_every_row_in_order_across_batch_boundaries(
        client, session, monkeypatch):
    from app.web import access

    monkeypatch.setattr(access, "EXPORT_BATCH", 2)
    # Three records on one discussion time straddle a batch boundary: the id breaks the tie.
    made = [make(session, days_ago=days, names=(f"=cmd|' /C calc'!A{i}", f"Child {i}"))
            for i, days in enumerate((0, 1, 1, 1, 2, 5, 9))]
    newest_first = sorted(made, key=lambda r: (r.sort_at, r.id), reverse=True)
    for query, expected in (("", newest_first), ("?sort=oldest", newest_first[::-1])):
        rows = read_csv(client.get("/strategies.csv" + query))
        assert [(row["Reference"], row["Children"]) for row in rows] == [
            (r.reference, f"'{r.children_names[0]}; {r.children_names[1]}") for r in expected]
        assert all(row["Discussion (UK time)"] == r.discussion_at.isoformat()
                   for row, r in zip(rows, expected, strict=True))


# --- searching by the start of a reference (issue 26) ---------------------------------------------


def _referenced(session, record, reference):
    """The record as if made in another year: its reference, and what is derived from it."""
    from app.followup.projection import project

    record = _set(session, record, reference=reference)
    project(session, record.id)
    session.commit()
    session.refresh(record)
    return record


def test_the_start_of_a_reference_finds_the_references_beginning_with_it(session):
    from app.records.list_query import ListQuery
    from app.records.listing import count_listed, list_page

    old = [_referenced(session, make(session, days_ago=400 + i), f"SR-2024-{i + 1:05d}")
           for i in range(4)]
    new = [_referenced(session, make(session, days_ago=i), f"SR-2025-{i + 11:05d}")
           for i in range(3)]
    _referenced(session, make(session, days_ago=401, team="North"), "SR-2024-00099")
    sam = make_user(session, "sam", team="Central")
    visible = visible_filter(sam)

    def found(q, **changes):
        return [i.reference for i in list_page(session, visible, ListQuery(q=q, **changes),
                                               page_size=3).items]

    # Newest first, only what Sam may see (not North's SR-2024-00099), in pages.
    assert found("sr-2024") == ["SR-2024-00001", "SR-2024-00002", "SR-2024-00003"]
    first = list_page(session, visible, ListQuery(q="SR-2024"), page_size=3)
    assert found("SR-2024", after=first.next_cursor) == ["SR-2024-00004"]
    assert found(" SR-2024-0000", sort="oldest") == [
        "SR-2024-00004", "SR-2024-00003", "SR-2024-00002"]
    assert found("SR-2024-00002") == ["SR-2024-00002"]
    assert found("SR-2025") == [r.reference for r in new]
    assert found("SR-20", sort="oldest") == [r.reference for r in reversed(old)][:3]
    assert found("SR-2023") == []
    assert count_listed(session, visible, ListQuery(q="sr-2024")) == 4
    assert count_listed(session, visible, ListQuery(q="SR-")) == 7
    # Part of a reference that is not its start is still found as before, and names too.
    assert found("2024-00003") == ["SR-2024-00003"]
    assert len(found("leo carter")) == 3


# PostgreSQL only: the expression index is PostgreSQL's (SQLite searches by LIKE).
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgresql_the_start_of_a_reference_is_searched_by_its_years_index(session, engine):
    """A year's references are a block of old or new records: walking the list's own index for
    them would pass every record outside it (64,000 at 100,000 records). The search asks for
    the year exactly as its own index is built, and that index exists."""
    from app.records.list_query import ListQuery
    from app.records.listing import list_page

    assert engine.dialect.name == "postgresql"
    template = make(session)
    # 3,000 copies of it, a year of 1,000 references each, 2024's the oldest, so the planner
    # weighs the choice as it does at full size.
    columns = [c.name for c in StrategyRecord.__table__.c
               if c.name not in ("id", "reference", "sort_at", "discussion_at")]
    names = ", ".join(columns)
    session.connection().exec_driver_sql(
        f"INSERT INTO strategy_record (reference, sort_at, discussion_at, {names}) "
        f"SELECT 'SR-' || (2026 - n / 1000) || '-' || (n + 900000), "
        f"sort_at - n * interval '1 hour', discussion_at - n * interval '1 hour', {names} "
        f"FROM strategy_record, generate_series(0, 2999) AS n WHERE id = {template.id}")
    session.commit()
    session.connection().exec_driver_sql("ANALYZE strategy_record")
    sam = make_user(session, "sam", team="Central")
    seen = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        page = list_page(session, visible_filter(sam), ListQuery(q="SR-2024"))
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert [i.reference for i in page.items] == [f"SR-2024-{n}" for n in range(902000, 902025)]
    statement, parameters = seen[-1]
    # The query names the year exactly as the index is built (the 1 and 7 written into the
    # SQL, so a prepared plan can use it); which plan the planner picks on a test-sized table
    # is its own affair: benchmarks/growth.py measures the speed at 100,000 records.
    assert "substr(strategy_record.reference, 1, 7) = %(substr_1)s" in statement, statement
    assert parameters["substr_1"] == "SR-2024"
    definition = session.connection().exec_driver_sql(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_strategy_record_reference_year'"
    ).scalar_one()
    assert "substr((reference)::text, 1, 7), sort_at, id" in definition, definition
