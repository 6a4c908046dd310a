"""The pages managers open every morning ask the database the same number of questions
whatever the data holds (issue 26): every statement is counted, at 5 records and at 40.

The one exception is bounded, not constant: the tracker's order is read a segment at a time
(app/followup/tracker.py SEGMENTS), only as far as the page needs, so a fuller database asks
fewer of those (at most one a segment), never more."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from app.auth.models import AuditEvent
from app.requests.models import StrategyRequest
from app.worklists.tracker import SEGMENTS
from tests.builders import discussion_time
from tests.conftest import make_user, signed_in
from tests.html import soup
from tests.shared_helpers import tracked_record

PAGES = ("/manager", "/actions", "/actions?overdue=true", "/requests", "/reports/audit",
         "/queues/awaiting-authorisation")


@contextmanager
def counting(engine):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _add(session, sw, partner, start: int, count: int) -> None:
    """`count` more records of every kind the pages show, and requests waiting and decided."""
    past = discussion_time().date()
    for i in range(start, start + count):
        overdue = [{"kind": "update_agencies", "due_date": str(past)}]
        tracked_record(session, sw, finalise=i % 5 != 4, led_by="edt" if i % 3 == 0 else "day_team",
                actions=None if i % 2 else overdue, referrer="Ann Lee" if i % 4 == 0 else None)
        at = datetime.now(UTC) - timedelta(days=i)
        session.add(StrategyRequest(
            agency="school", created_by_id=partner.id, created_at=at,
            status="awaiting" if i % 2 else "declined",
            data={"children": [{"name": f"Child {i}"}], "what_happened": "x",
                  "why_significant_harm": "y", "referral_form": "caf", "agency": "school"}))
        session.commit()


def _counts(client, engine) -> dict[str, tuple[int, int]]:
    """Per page: (statements but the tracker's segment reads, the tracker's segment reads)."""
    counts = {}
    for url in PAGES:
        client.get(url)  # once first: what is read once per process is not what grows
        with counting(engine) as statements:
            answer = client.get(url)
        assert answer.status_code == 200, url
        assert soup(answer).select_one("h1") is not None
        segments = sum("LEFT OUTER JOIN working_day" in s for s in statements)
        counts[url] = (len(statements) - segments, segments)
    return counts


def test_the_managers_pages_ask_as_many_questions_at_5_records_as_at_40(
        anonymous, session, engine):
    sw = make_user(session, "sam")
    partner = make_user(session, "school1", "partner", agency="school")
    manager = make_user(session, "mo", "manager")
    _add(session, sw, partner, 0, 5)
    client = signed_in(anonymous, session, manager)
    few = _counts(client, engine)
    _add(session, sw, partner, 5, 35)
    many = _counts(client, engine)
    assert {url: other for url, (other, _) in many.items()} == {
        url: other for url, (other, _) in few.items()}
    for url in PAGES:
        assert many[url][1] <= few[url][1] <= len(SEGMENTS), url
    # The pages that show open actions read them (the rest do not).
    assert {url for url in PAGES if few[url][1]} == {"/manager", "/actions",
                                                     "/actions?overdue=true"}


def test_a_record_page_and_a_cached_pdf_read_the_user_and_the_record_once(
        anonymous, session, engine):
    """The audit row's commit keeps what the request loaded (the request's session does not
    expire on commit): no second read of the user or of the record's whole document."""
    sw = make_user(session, "sam")
    record = tracked_record(session, sw)
    client = signed_in(anonymous, session, make_user(session, "mo", "manager"))
    pdf = f"/strategies/{record.id}/record.pdf"
    assert client.get(pdf).status_code == 200  # rendered and stored: the next is cached
    for url in (f"/strategies/{record.id}", pdf):
        with counting(engine) as statements:
            assert client.get(url).status_code == 200
        selects = [s.split("FROM", 1)[0] for s in statements if s.startswith("SELECT")]
        assert sum("user_session.token_hash" in s for s in selects) == 1, url
        assert sum("strategy_record.data" in s for s in selects) == 1, url
        assert sum(s.startswith("INSERT INTO audit_event") for s in statements) == 1, url


@pytest.mark.parametrize("role", ["manager", "partner"])
def test_a_record_page_and_a_cached_pdf_take_one_pooled_connection(
        anonymous, session, engine, role):
    """Every read, the receipt and the audit row in one transaction: a commit before the
    last read would hand the connection back and take (and ping) another."""
    sw = make_user(session, "sam")
    record = tracked_record(session, sw)
    reader = (make_user(session, "pc", "partner", agency="police") if role == "partner"
              else make_user(session, "mo", "manager"))
    client = signed_in(anonymous, session, reader)
    pdf = f"/strategies/{record.id}/record.pdf"
    assert client.get(pdf).status_code == 200  # rendered and stored; the receipt first marked
    assert client.get(f"/strategies/{record.id}").status_code == 200
    checkouts = []

    def checked_out(*_args):
        checkouts.append(1)

    event.listen(engine, "checkout", checked_out)
    try:
        for url in (f"/strategies/{record.id}", pdf):
            checkouts.clear()
            assert client.get(url).status_code == 200
            assert len(checkouts) == 1, url
    finally:
        event.remove(engine, "checkout", checked_out)


def _tables(statements: list[str]) -> list[str]:
    """Each statement as the table it reads (its first FROM) or writes."""
    named = []
    for statement in statements:
        words = statement.split()
        if words[0] == "SELECT":
            named.append(words[words.index("FROM") + 1])
        else:
            named.append(" ".join(words[:3]))
    return named


def test_the_record_page_asks_who_may_see_it_once_and_a_cached_pdf_reads_only_its_key(
        anonymous, session, engine):
    """Visibility is one statement, asked once a page (the page's edit link and its versions
    reuse the answer); a stored PDF is found by its key (who finalised it and the
    contributions it prints are read only to render it)."""
    sw = make_user(session, "sam")
    record = tracked_record(session, sw)
    client = signed_in(anonymous, session, make_user(session, "mo", "manager"))
    pdf = f"/strategies/{record.id}/record.pdf"
    assert client.get(pdf).status_code == 200  # rendered and stored: the next is cached
    with counting(engine) as statements:
        assert client.get(pdf).status_code == 200
    assert _tables(statements) == [
        "user_session", "strategy_record", "record_version", "rendered_pdf",
        "INSERT INTO audit_event"]
    # Visible, with its versions, and the record itself: read once.
    assert "LEFT OUTER JOIN record_version" in statements[1]
    assert "strategy_record.data" in statements[1].split("FROM", 1)[0]
    # The version's later state with its cancellations, not the version's whole document.
    assert "LEFT OUTER JOIN followup_entry" in statements[2]
    assert "record_version.data" not in statements[2]
    with counting(engine) as statements:
        page = client.get(f"/strategies/{record.id}")
    assert page.status_code == 200
    assert sum("LEFT OUTER JOIN record_version" in s for s in statements) == 1
    assert _tables(statements).count("followup_entry") == 1  # the timeline and cancellations
    # Who finalised it (not the reader) is read with the versions, not on its own.
    assert "app_user" not in _tables(statements)
    assert soup(page).select_one("#finalised-by").get_text(" ", strip=True).startswith(
        "Finalised by Sam on ")
    # The page still lists the finalised version and offers its PDF.
    assert soup(page).select_one(f'a[href="{pdf}"]') is not None


def test_a_figures_page_counts_its_figure_and_none_of_the_reports_breakdowns(
        anonymous, session, engine):
    """Return reasons, days until referrers were told and hours to triage belong to the whole
    report: a figure's page (which shows none of them) does not count them."""
    sw = make_user(session, "sam")
    tracked_record(session, sw, actions=[{"kind": "update_agencies",
                                          "due_date": str(discussion_time().date())}])
    client = signed_in(anonymous, session, make_user(session, "mo", "manager"))
    with counting(engine) as statements:
        page = client.get("/reports/audit/figures/update-on-time")
    assert page.status_code == 200
    assert [s for s in statements if "followup_entry" in s or "referrer_told_on" in s
            or "triaged_at" in s] == []
    assert sum("FROM tracked_action" in s for s in statements) == 1  # the figure's one count
    with counting(engine) as statements:
        assert client.get("/reports/audit").status_code == 200
    assert sum("followup_entry" in s for s in statements) == 1  # the whole report's reasons
    assert sum("referrer_told_on" in s for s in statements) == 1


def test_a_partners_later_reads_write_no_receipt_and_the_first_ones_do(
        anonymous, session, engine):
    """The first opening and download are recorded on the receipt once; after that the
    sight (which read the receipt to decide visibility) says so, and no UPDATE is sent."""
    sw = make_user(session, "sam")
    record = tracked_record(session, sw)
    client = signed_in(anonymous, session, make_user(session, "pc", "partner", agency="police"))
    page, pdf = f"/strategies/{record.id}", f"/strategies/{record.id}/record.pdf"
    writes = []
    for url in (page, pdf, page, pdf):
        with counting(engine) as statements:
            assert client.get(url).status_code == 200
        writes.append([s.split(" SET ", 1)[1].split("=", 1)[0] for s in statements
                       if s.startswith("UPDATE record_receipt")])
    assert writes == [["first_opened_at"], ["first_downloaded_at"], [], []]
    session.expire_all()
    logged = session.exec(select(AuditEvent.action).where(
        AuditEvent.record_id == record.id, AuditEvent.username == "pc")
        .order_by(AuditEvent.id)).all()
    assert logged == ["receipt_opened", "viewed", "receipt_downloaded", "downloaded",
                      "viewed", "downloaded"]
    # As for social care: who may see it and the record in one statement (their receipts
    # joined to it), then the printed state and the stored PDF, then the audit row.
    assert _tables(statements) == [
        "user_session", "strategy_record", "record_version", "rendered_pdf",
        "INSERT INTO audit_event"]
    assert "JOIN record_receipt" in statements[1]
