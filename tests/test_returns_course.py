"""The section 47 enquiry's course after the meeting (issue 24): recorded through the
follow-up service (audited, on the timeline), projected into each child's row, refused with
the GOV.UK summary when it contradicts itself, and listed on the manager's page once open
past the local limit."""

from datetime import date, datetime

import pytest
from sqlmodel import select

from app.auth.models import AuditEvent
from app.followup import lifecycle as service
from app.followup import section47, versions
from app.followup.models import FollowUpEntry
from app.followup.service import Invalid, Refused
from app.records.returns_tables import Section47Enquiry
from app.returns.service import open_since
from app.web.followup_view import timeline
from app.worklists import tracker
from tests.conftest import make_user, signed_in
from tests.html import error_summary, soup
from tests.report_world import dated

# Monday 2 March 2026: 15 working days later (no bank holiday before Good Friday, 3 April)
# is Monday 23 March.
MONDAY = datetime(2026, 3, 2, 10, 0)


def finalised(session, user, at=MONDAY, **changes):
    record = service.create_record(session, data=dated(at, **changes), team=user.team,
                                   created_by_id=user.id)
    return service.finalise_record(session, record=record, expected_revision=record.revision,
                                   finalised_by=user)


def rows(session, record_id):
    session.expire_all()
    return session.exec(select(Section47Enquiry).where(Section47Enquiry.record_id == record_id)
                        .order_by(Section47Enquiry.position)).all()


def test_a_finalised_s47_record_has_a_row_per_child_with_its_start_and_target(session):
    sw = make_user(session, "sam")
    record = finalised(session, sw)
    (row,) = rows(session, record.id)
    assert (row.start_on, row.icpc_target, row.person_id, row.child_title, row.icpc_on,
            row.icpc_not_required, row.completed_on, row.outcome) == (
        date(2026, 3, 2), date(2026, 3, 23), "LCS1001", "Leo Carter", None, False, None, None)


def test_the_course_is_recorded_projected_and_recorded_again(session):
    sw = make_user(session, "sam")
    record = finalised(session, sw)
    record = section47.record_course(session, record, sw, record.revision, {
        "icpc": "held", "icpc_on": "20/3/2026"})
    (row,) = rows(session, record.id)
    assert (row.icpc_on, row.icpc_not_required, row.completed_on) == (date(2026, 3, 20), False,
                                                                      None)
    record = section47.record_course(session, record, sw, record.revision, {
        "icpc": "held", "icpc_on": "2026-03-20", "completed_on": "2026-03-20",
        "outcome": "icpc"})
    (row,) = rows(session, record.id)
    assert (row.icpc_on, row.completed_on, row.outcome) == (
        date(2026, 3, 20), date(2026, 3, 20), "icpc")
    kinds = session.exec(select(FollowUpEntry.kind).where(
        FollowUpEntry.record_id == record.id)).all()
    assert kinds.count("s47_course") == 2
    items = [item for item in timeline(versions.entries(session, record.id))
             if item.kind == "s47_course"]
    assert [item.lines for item in items] == [
        ("Initial conference held on 20 March 2026.",),
        ("Completed on 20 March 2026: Initial child protection conference.",
         "Initial conference held on 20 March 2026.")]


def test_nfa_without_a_conference_is_icpc_not_required(session):
    sw = make_user(session, "sam")
    record = finalised(session, sw)
    section47.record_course(session, record, sw, record.revision, {
        "completed_on": "13/3/2026", "outcome": "nfa"})
    (row,) = rows(session, record.id)
    assert (row.completed_on, row.outcome, row.icpc_not_required) == (
        date(2026, 3, 13), "nfa", True)


@pytest.mark.parametrize(("values", "errors"), [
    ({"completed_on": "13/3/2026"}, {"outcome": "Select how the enquiry ended"}),
    ({"outcome": "nfa"}, {"completed_on": (
        "Enter the date the enquiry was completed, like 23/11/2026")}),
    ({"icpc": "held"}, {"icpc_on": "Enter the date the conference was held, like 23/11/2026"}),
    ({"icpc": "not_required"}, {"icpc_not_required_reason": (
        "Say why no initial conference is required")}),
    ({"icpc": "not_required", "icpc_not_required_reason": "Risk reduced", "outcome": "icpc",
      "completed_on": "13/3/2026"}, {"icpc": (
        "The enquiry ended in an initial conference: record the date it was held, or "
        "choose another outcome")}),
    ({"icpc": "held", "icpc_on": "1/3/2026"}, {"icpc_on": (
        "The date of the conference cannot be before the discussion on 2 March 2026")}),
    ({"icpc": "maybe"}, {"icpc": "Say whether the initial conference was held or not required"}),
])
def test_a_course_that_contradicts_itself_is_refused_per_field(session, values, errors):
    sw = make_user(session, "sam")
    record = finalised(session, sw)
    with pytest.raises(Invalid) as refused:
        section47.record_course(session, record, sw, record.revision, values)
    assert refused.value.errors == errors


def test_a_record_that_started_no_enquiry_has_no_course(session):
    sw = make_user(session, "sam")
    record = finalised(session, sw, decision={"outcome": "early_help"})
    assert rows(session, record.id) == []
    with pytest.raises(Refused, match="did not start a section 47 enquiry"):
        section47.record_course(session, record, sw, record.revision, {"icpc": ""})


def test_the_follow_up_page_records_it_audited_and_reshows_a_refusal(session, anonymous):
    sw = make_user(session, "sam")
    record = finalised(session, sw)
    client = signed_in(anonymous, session, sw)
    page = soup(client.get(f"/strategies/{record.id}/follow-up"))
    assert "Started on 2 March 2026" in page.select_one("#section-47 + p").get_text()
    url = f"/strategies/{record.id}/section-47"
    answer = client.post(url, data={"revision": str(record.revision), "icpc": "held",
                                    "icpc_on": "31/2/2026"})
    assert answer.status_code == 422
    page = soup(answer)
    assert list(error_summary(page)) == ["#s47-icpc_on-input"]
    assert page.select_one("#s47-icpc_on-input")["value"] == "31/2/2026"
    assert page.select_one("#s47-icpc-held").has_attr("checked")
    answer = client.post(url, data={"revision": str(record.revision), "icpc": "held",
                                    "icpc_on": "30/3/2026"}, follow_redirects=False)
    assert answer.status_code == 303
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "s47_course",
                                                 AuditEvent.record_id == record.id)).one()
    assert rows(session, record.id)[0].icpc_on == date(2026, 3, 30)


def test_a_partner_cannot_record_the_course(session, anonymous):
    sw = make_user(session, "sam")
    record = finalised(session, sw)
    police = make_user(session, "pc", "partner", agency="police")
    client = signed_in(anonymous, session, police)
    answer = client.post(f"/strategies/{record.id}/section-47",
                         data={"revision": str(record.revision), "icpc": ""})
    assert answer.status_code in (403, 404)
    assert rows(session, record.id)[0].icpc_on is None


def test_open_since_counts_working_days_back():
    # Monday 23 March 2026, 15 working days back: Monday 2 March is not yet past the limit.
    assert open_since(date(2026, 3, 23), 15) == date(2026, 3, 2)
    # Across Easter 2026 (Good Friday 3 April, Easter Monday 6 April).
    assert open_since(date(2026, 4, 8), 3) == date(2026, 4, 1)


def test_the_managers_page_lists_enquiries_open_past_the_limit(session, anonymous,
                                                               settings_env):
    settings_env(S47_OPEN_LIMIT_WORKING_DAYS=15)
    sw = make_user(session, "sam")
    manager = make_user(session, "meg", "manager")
    open_one = finalised(session, sw)
    done = finalised(session, sw)
    section47.record_course(session, done, sw, done.revision, {
        "completed_on": "13/3/2026", "outcome": "cin_plan"})
    other_team = make_user(session, "nia", team="North")
    finalised(session, other_team)
    page = soup(signed_in(anonymous, session, manager).get("/manager"))
    assert page.select_one("#s47-open-heading").get_text() == (
        "Section 47 enquiries open more than 15 working days")
    assert [a["href"] for a in page.select("#s47-open a")] == [
        f"/strategies/{open_one.id}/follow-up#section-47"]
    assert page.select_one("#s47-open li").get_text(" ", strip=True).endswith(
        "Leo Carter, started 2 March 2026")


def test_the_managers_count_of_open_enquiries_stops_at_the_cap(session, anonymous,
                                                               settings_env, monkeypatch):
    """Counted no further than the manager's other counts: past the cap it reads "more
    than" (at 100,000 records every open enquiry was counted on each visit: 60 ms)."""
    settings_env(S47_OPEN_LIMIT_WORKING_DAYS=15)
    sw = make_user(session, "sam")
    manager = make_user(session, "meg", "manager")
    for _ in range(3):
        finalised(session, sw)
    client = signed_in(anonymous, session, manager)
    count = soup(client.get("/manager")).select_one("#s47-open-count").get_text(" ", strip=True)
    assert count.startswith("3 enquiries (one for each child) started more than 15 working")
    monkeypatch.setattr(tracker, "COUNT_CAP", 2)
    count = soup(client.get("/manager")).select_one("#s47-open-count").get_text(" ", strip=True)
    assert count.startswith("more than 2 enquiries (one for each child) started more than 15")
