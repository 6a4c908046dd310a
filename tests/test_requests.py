"""Requests for a strategy discussion: submit, convene, decline, who sees what, the queue."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from app.auth.models import AuditEvent
from app.records import service as records
from app.requests import listing, service
from app.requests.models import DeclineData, StrategyRequest
from tests.conftest import make_user, signed_in
from tests.html import error_summary, form_data, soup
from tests.shared_helpers import request_body


def _multi(pairs) -> dict:
    # httpx takes repeated keys as a list value.
    data: dict = {}
    for key, value in pairs:
        data.setdefault(key, []).append(value)
    return data


def _partner(session, name="school1", agency="school"):
    return make_user(session, name, "partner", agency=agency)


def _api(client, session, user):
    client.cookies.clear()
    return signed_in(client, session, user)


def test_partner_requests_and_social_care_convenes_over_the_api(anonymous, session):
    school = _partner(session)
    answer = _api(anonymous, session, school).post("/api/requests", json=request_body())
    assert answer.status_code == 201
    made = answer.json()
    assert made["status"] == "awaiting" and made["agency"] == "school"
    assert answer.headers["location"] == f"/api/requests/{made['id']}"

    sw = make_user(session, "sw1")
    convened = _api(anonymous, session, sw).post(f"/api/requests/{made['id']}/convene")
    assert convened.status_code == 200
    record_id = convened.json()["record_id"]
    assert convened.json()["request"]["status"] == "convened"

    record = anonymous.get(f"/api/strategies/{record_id}").json()
    assert [c["name"] for c in record["children"]] == ["Mia Jones"]
    assert record["children"][0]["date_of_birth"] == "2019-04-02"
    assert record["header"]["requested_by"] == "school"
    assert record["header"]["request_reason"] == request_body()["why_significant_harm"]
    assert record["grounds"]["summary"] == request_body()["what_happened"]
    assert record["grounds"]["referrer_agency"] == "school"
    assert record["grounds"]["referrer_name"] == "School1"
    assert record["grounds"]["referral_form"] == (
        "Combined early help and child protection referral form")
    assert record["grounds"]["referrer_discussed_with"] == (
        "Ann Lee, Designated safeguarding lead, on 12 January 2026")
    assert record["status"] == "draft"

    # A second convene (or decline) is refused: it was triaged already.
    assert anonymous.post(f"/api/requests/{made['id']}/convene").status_code == 409
    assert anonymous.post(f"/api/requests/{made['id']}/decline",
                          json={"reason": "x"}).status_code == 409

    # The requester sees the outcome.
    seen = _api(anonymous, session, school).get(f"/api/requests/{made['id']}").json()
    assert seen["status"] == "convened" and seen["record_id"] == record_id


def test_decline_over_the_api_gives_the_requester_the_reason(anonymous, session):
    school = _partner(session)
    made = _api(anonymous, session, school).post("/api/requests", json=request_body()).json()
    sw = make_user(session, "sw1")
    client = _api(anonymous, session, sw)
    assert client.post(f"/api/requests/{made['id']}/decline", json={}).status_code == 422
    declined = client.post(f"/api/requests/{made['id']}/decline",
                           json={"reason": "Accidental: seen falling at the park",
                                 "instead": "Early help offer from the school"})
    assert declined.status_code == 200
    assert declined.json()["status"] == "declined"
    seen = _api(anonymous, session, school).get(f"/api/requests/{made['id']}").json()
    assert (seen["decline_reason"], seen["instead"]) == (
        "Accidental: seen falling at the park", "Early help offer from the school")


def test_a_partner_cannot_triage_even_their_own_request(anonymous, session):
    school = _partner(session)
    client = _api(anonymous, session, school)
    made = client.post("/api/requests", json=request_body()).json()
    assert client.post(f"/api/requests/{made['id']}/convene").status_code == 403
    assert client.post(f"/api/requests/{made['id']}/decline",
                       json={"reason": "no"}).status_code == 403


def test_no_other_agency_or_other_school_sees_a_request(anonymous, session):
    school = _partner(session)
    made = _api(anonymous, session, school).post("/api/requests", json=request_body()).json()
    for other in (_partner(session, "police1", "police"), _partner(session, "school2")):
        client = _api(anonymous, session, other)
        assert client.get(f"/api/requests/{made['id']}").status_code == 404
        assert client.get(f"/requests/{made['id']}").status_code == 404
        listing = soup(client.get("/requests"))
        assert listing.select_one(f"#request-{made['id']}") is None
        assert "Mia Jones" not in listing.get_text()


def test_partner_cannot_request_for_another_agency(anonymous, session):
    client = _api(anonymous, session, _partner(session))
    answer = client.post("/api/requests", json=request_body(agency="police"))
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "agency"]


def test_social_care_must_name_the_agency_it_asks_for(anonymous, session):
    client = _api(anonymous, session, make_user(session, "sw1"))
    assert client.post("/api/requests", json=request_body()).status_code == 422
    answer = client.post("/api/requests", json=request_body(agency="gp"))
    assert answer.status_code == 201 and answer.json()["agency"] == "gp"


def test_request_without_children_or_grounds_is_refused_with_fields(anonymous, session):
    client = _api(anonymous, session, _partner(session))
    answer = client.post("/api/requests", json=request_body(children=[], what_happened=""))
    assert answer.status_code == 422
    locs = {tuple(d["loc"]) for d in answer.json()["detail"]}
    assert locs == {("body", "children"), ("body", "what_happened")}


def test_admin_cannot_request(anonymous, session):
    client = _api(anonymous, session, make_user(session, "root", "admin"))
    assert client.post("/api/requests", json=request_body()).status_code == 403


def test_every_step_is_in_the_audit_log(anonymous, session):
    school = _partner(session)
    made = _api(anonymous, session, school).post("/api/requests", json=request_body()).json()
    anonymous.get(f"/api/requests/{made['id']}")
    sw = make_user(session, "sw1")
    record_id = _api(anonymous, session, sw).post(
        f"/api/requests/{made['id']}/convene").json()["record_id"]
    events = {(e.username, e.action, e.detail, e.record_id)
              for e in session.exec(select(AuditEvent))}
    assert ("school1", "created", f"request {made['id']}", None) in events
    assert ("school1", "viewed", f"request {made['id']}", None) in events
    assert ("sw1", "created", f"convened from request {made['id']}", record_id) in events


# --- pages ----------------------------------------------------------------------------------


def test_request_journey_over_the_pages_with_javascript_off(anonymous, session):
    school = _partner(session)
    client = _api(anonymous, session, school)
    header = soup(client.get("/requests"))
    assert header.select_one("header a[href='/requests/new']").get_text(strip=True) == (
        "Request a strategy discussion")
    assert header.select_one("header a[href='/requests']").get_text(strip=True) == "Your requests"

    page = soup(client.get("/requests/new"))
    typed = [("children-0-name", "Mia Jones"), ("children-0-date_of_birth-day", "2"),
             ("children-0-date_of_birth-month", "4"), ("children-0-date_of_birth-year", "2019"),
             ("why_significant_harm", "Injury to the face"), ("referral_form", "caf"),
             ("row-action", "save")]
    pairs = [p for p in form_data(page) if p[0] not in dict(typed)] + typed
    refused = client.post("/requests", data=_multi(pairs))
    assert refused.status_code == 422
    page = soup(refused)
    assert error_summary(page) == {"#what_happened": "Enter what happened"}
    # What was typed is shown again.
    assert page.select_one("#children-0-name")["value"] == "Mia Jones"
    assert page.select_one("#why_significant_harm").get_text() == "Injury to the face"
    assert page.select_one("#referral_form-caf").has_attr("checked")

    # Add a second child without JavaScript: the whole form comes back, nothing lost.
    added = client.post("/requests", data=_multi(form_data(page) + [("row-action", "add")]))
    page = soup(added)
    assert page.select_one("#children-1-name")["value"] == ""
    assert page.select_one("#children-0-name")["value"] == "Mia Jones"

    pairs = [p for p in form_data(page) if p[0] != "what_happened"]
    sent = client.post("/requests", data=_multi(pairs + [("what_happened", "Bruise on cheek"),
                                                         ("row-action", "save")]),
                       follow_redirects=False)
    assert sent.status_code == 303
    request_id = int(sent.headers["location"].rsplit("/", 1)[1])
    detail = soup(client.get(sent.headers["location"]))
    assert detail.select_one("#outcome .govuk-tag").get_text(strip=True) == "Waiting for social care"
    assert detail.select_one("form[action$='/convene']") is None  # the requester cannot triage

    # Social care declines on the page; an empty reason re-shows the form with the summary.
    sw = make_user(session, "sw1")
    client = _api(anonymous, session, sw)
    page = soup(client.get(f"/requests/{request_id}"))
    assert page.select_one(f"form[action='/requests/{request_id}/convene']") is not None
    refused = client.post(f"/requests/{request_id}/decline",
                          data={"reason": "", "instead": "Early help"})
    assert refused.status_code == 422
    page = soup(refused)
    assert error_summary(page) == {"#reason": "Enter why a strategy discussion is not needed"}
    assert page.select_one("#instead").get_text() == "Early help"
    done = client.post(f"/requests/{request_id}/decline",
                       data={"reason": "Seen falling in the playground", "instead": "Early help"},
                       follow_redirects=False)
    assert done.status_code == 303

    # The requester sees the outcome and the reason in their list.
    client = _api(anonymous, session, school)
    row = soup(client.get("/requests")).select_one(f"#request-{request_id}")
    assert "Declined" in row.get_text() and "Seen falling in the playground" in row.get_text()
    detail = soup(client.get(f"/requests/{request_id}"))
    assert detail.select_one("#decline-reason").get_text() == "Seen falling in the playground"
    assert detail.select_one("#instead").get_text() == "Early help"


def test_convene_on_the_page_opens_the_new_draft(anonymous, session):
    made = _api(anonymous, session, _partner(session)).post("/api/requests",
                                                             json=request_body()).json()
    client = _api(anonymous, session, make_user(session, "sw1"))
    answer = client.post(f"/requests/{made['id']}/convene", follow_redirects=False)
    assert answer.status_code == 303
    record_id = int(answer.headers["location"].rsplit("/", 1)[1])
    assert records.get_record(session, record_id).content.children[0].name == "Mia Jones"
    again = client.post(f"/requests/{made['id']}/convene", follow_redirects=False)
    assert again.status_code == 409


def test_waiting_requests_are_flagged_once_past_the_triage_limit(anonymous, session):
    school = _partner(session)
    made = _api(anonymous, session, school).post("/api/requests", json=request_body()).json()
    fresh = _api(anonymous, session, school).post("/api/requests", json=request_body()).json()
    old = session.get(StrategyRequest, made["id"])
    old.created_at = datetime.now(UTC) - timedelta(days=10)
    session.add(old)
    session.commit()

    sw = make_user(session, "sw1")
    assert [r.id for r in listing.page(session, sw, "waiting").items] == [made["id"], fresh["id"]]
    assert listing.lists_for(school) == ("mine",)

    page = soup(_api(anonymous, session, sw).get("/requests"))
    assert page.select_one(f"#request-{made['id']} .govuk-tag--red").get_text() == "Overdue"
    assert page.select_one(f"#request-{fresh['id']} .govuk-tag--red") is None
    assert anonymous.get(f"/api/requests/{made['id']}").json()["overdue"] is True
    assert anonymous.get(f"/api/requests/{fresh['id']}").json()["overdue"] is False


def test_the_managers_page_counts_requests_waiting_and_late(anonymous, session):
    school = _partner(session)
    ids = [_api(anonymous, session, school).post("/api/requests", json=request_body()).json()["id"]
           for _ in range(3)]
    late = session.get(StrategyRequest, ids[0])
    late.created_at = datetime.now(UTC) - timedelta(days=10)
    session.add(late)
    session.commit()
    manager = make_user(session, "boss", "manager")
    service.decline(session, manager, session.get(StrategyRequest, ids[2]),
                    DeclineData(reason="Not a child protection matter"))
    page = soup(signed_in(anonymous, session, manager).get("/manager"))
    count = page.select_one("#count-requests a")
    assert count["href"] == "/requests"
    assert " ".join(count.get_text().split()) == "2 requests from other agencies waiting to be triaged (1 overdue)"


# --- the list, a page at a time -------------------------------------------------------------


def _stored(session, user, at: datetime, status="awaiting") -> int:
    req = StrategyRequest(agency="school", created_by_id=user.id, created_at=at, status=status,
                          data=request_body(agency="school"))
    session.add(req)
    session.commit()
    return req.id


def _walk(session, user, name, size):
    """Every page of a list by Next, then back again by Previous, as ids."""
    pages = [listing.page(session, user, name, page_size=size)]
    while pages[-1].next_cursor:
        pages.append(listing.page(session, user, name, after=pages[-1].next_cursor,
                                  page_size=size))
    back = [pages[-1]]
    while back[-1].previous_cursor:
        back.append(listing.page(session, user, name, before=back[-1].previous_cursor,
                                 page_size=size))
    return [[r.id for r in p.items] for p in pages], [[r.id for r in p.items] for p in back[::-1]]


def test_each_requests_list_pages_by_creation_time_with_ties_at_the_boundaries(session):
    school, other, sw = _partner(session), _partner(session, "school2"), make_user(session, "sw1")
    t = datetime(2026, 3, 2, 9, tzinfo=UTC)
    # Two requests at the same moment fall across a page boundary: the id breaks the tie.
    mine = [_stored(session, school, t + timedelta(minutes=m), status)
            for m, status in ((0, "declined"), (5, "awaiting"), (5, "convened"),
                              (5, "awaiting"), (9, "declined"))]
    theirs = _stored(session, other, t + timedelta(minutes=7), "declined")

    pages, back = _walk(session, school, "mine", 2)
    assert pages == [[mine[4], mine[3]], [mine[2], mine[1]], [mine[0]]]
    assert back == pages
    # Social care: waiting ones oldest first, the rest newest first, each paged on its own.
    pages, back = _walk(session, sw, "waiting", 1)
    assert pages == back == [[mine[1]], [mine[3]]]
    pages, back = _walk(session, sw, "triaged", 2)
    assert pages == back == [[mine[4], theirs], [mine[2], mine[0]]]
    # A page exactly full has no Next.
    assert listing.page(session, sw, "triaged", page_size=4).next_cursor is None
    with pytest.raises(ValueError):
        listing.page(session, school, "triaged")


def test_the_requests_page_follows_next_and_previous_links(anonymous, session, monkeypatch):
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    school, sw = _partner(session), make_user(session, "sw1")
    t = datetime(2026, 3, 2, 9, tzinfo=UTC)
    done = [_stored(session, school, t + timedelta(hours=h), "declined") for h in range(5)]
    waiting = [_stored(session, school, t + timedelta(hours=h, minutes=30)) for h in range(3)]
    client = _api(anonymous, session, sw)

    def ids(page, table):
        return [int(tr["id"].removeprefix("request-")) for tr in page.select(f"#{table} tbody tr")]

    first = soup(client.get("/requests"))
    assert first.select_one("#waiting caption").get_text() == "Requests waiting (3)"
    assert ids(first, "waiting") == waiting[:2] and ids(first, "triaged") == done[:2:-1]
    seen, page = [], first
    while link := page.select_one("#triaged-pages a[rel=next]"):
        seen.append(ids(page, "triaged"))
        page = soup(client.get(link["href"]))
        assert ids(page, "waiting") == waiting[:2]  # the other list stays at its start
    seen.append(ids(page, "triaged"))
    assert seen == [done[:2:-1], done[2:0:-1], done[:1]]
    back = soup(client.get(page.select_one("#triaged-pages a[rel=prev]")["href"]))
    assert ids(back, "triaged") == done[2:0:-1]
    later = soup(client.get(first.select_one("#waiting-pages a[rel=next]")["href"]))
    assert ids(later, "waiting") == waiting[2:]
    assert later.select_one("#waiting-pages a[rel=next]") is None


@pytest.mark.parametrize("query", [
    "list=waiting&after=x", "list=triaged&before=2026-03-02T09:00:00~1",  # no time zone
    "list=triaged&after=0001-01-01T00:00:00%2B05:00~1", "list=triaged&after=2026-03-02~0",
    "list=mine&after=2026-03-02T09:00:00%2B00:00~1",
    "list=nonsense&after=2026-03-02T09:00:00%2B00:00~1",
    f"list=waiting&after=2026-03-02T09:00:00%2B00:00~{2**31}"])
def test_a_position_that_is_not_one_is_refused_clearly(anonymous, session, query):
    client = _api(anonymous, session, make_user(session, "sw1"))
    answer = client.get(f"/requests?{query}")
    assert answer.status_code == 422
    assert error_summary(soup(answer)) == {
        "#list": "Use the Next and Previous links to move through the requests"}
# Made on Maundy Thursday 2026: one working day on is Tuesday 7 April (Good Friday and Easter
# Monday are bank holidays), so it is due that Tuesday and overdue from the Wednesday.
MAUNDY_THURSDAY_NOON = datetime(2026, 4, 2, 11, 0, tzinfo=UTC)  # 12:00 BST


def test_a_request_is_due_on_its_triage_day_and_overdue_only_the_day_after(settings_env):
    settings_env(request_triage_working_days=1)
    waiting = StrategyRequest(created_at=MAUNDY_THURSDAY_NOON, status="awaiting")
    assert service.triage_due(waiting) == date(2026, 4, 7)
    assert service.is_overdue(waiting, date(2026, 4, 6)) is False  # Easter Monday
    assert service.is_overdue(waiting, date(2026, 4, 7)) is False  # its triage day
    assert service.is_overdue(waiting, date(2026, 4, 8)) is True  # the day after
    decided = StrategyRequest(created_at=MAUNDY_THURSDAY_NOON, status="declined")
    assert service.is_overdue(decided, date(2026, 4, 8)) is False
    # Decided at 23:59 BST on the triage day: in time; at midnight: late.
    assert service.decided_in_time(waiting, datetime(2026, 4, 7, 22, 59, tzinfo=UTC)) is True
    assert service.decided_in_time(waiting, datetime(2026, 4, 7, 23, 0, tzinfo=UTC)) is False


def test_the_overdue_count_cuts_off_at_the_start_of_the_day_whose_triage_day_has_passed(
        settings_env):
    """The manager's count asks the database for requests made before `triage_cutoff`."""
    settings_env(request_triage_working_days=1)
    # On Tuesday 7 April those made on Maundy Thursday are due today, not overdue: those made
    # by the end of Wednesday 1 April (due Thursday 2nd) are. Midnight BST is 23:00 UTC.
    assert service.triage_cutoff(date(2026, 4, 7)) == datetime(2026, 4, 1, 23, 0, tzinfo=UTC)
    # On Wednesday 8 April everything made up to the end of Easter Monday is overdue.
    assert service.triage_cutoff(date(2026, 4, 8)) == datetime(2026, 4, 6, 23, 0, tzinfo=UTC)
    settings_env(request_triage_working_days=2)
    assert service.triage_cutoff(date(2026, 4, 8)) == datetime(2026, 4, 1, 23, 0, tzinfo=UTC)
