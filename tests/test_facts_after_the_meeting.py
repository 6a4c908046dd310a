"""Facts recorded after the meeting belong to the record: an action done (with its day), the
day team's review, the referrer told and a cancelled further discussion carry to every later
version; the referrer's feedback is a dated action in the tracker; the update-all-agencies
action is completed or re-dated through the API exactly as on the page, never cancelled."""

from datetime import timedelta

import pytest
from sqlmodel import select

from app.domain.schema import uk_now
from app.followup import entries, lifecycle, projection
from app.followup import service as followup
from app.followup.models import FollowUpEntry, TrackedAction
from app.records.models import StrategyRecord
from app.reports import tally
from app.reports.families import Scope
from app.reports.figures import BY_ID
from app.rules.workdays import add_working_days, is_working_day
from app.worklists import tracker
from tests.builders import STANDARD_ORGANISATIONS, discussion_time
from tests.conftest import make_user, signed_in
from tests.report_world import dated


def _finalised(session, sw, at=None, **changes) -> StrategyRecord:
    record = lifecycle.create_record(session, data=dated(at or discussion_time(), **changes),
                                     team=sw.team, created_by_id=sw.id)
    return lifecycle.finalise_record(session, record=record, expected_revision=record.revision,
                                     finalised_by=sw)


def _refinalised(session, record, sw) -> StrategyRecord:
    return lifecycle.finalise_record(session, record=record, expected_revision=record.revision,
                                     finalised_by=sw)


def _row(session, record, kind: str) -> TrackedAction:
    session.expire_all()
    return session.exec(select(TrackedAction).where(
        TrackedAction.record_id == record.id, TrackedAction.version == record.version,
        TrackedAction.kind == kind)).one()


def _everyone(record) -> tuple[int, ...]:
    return tuple(r.organisation_id for r in record.content.distribution)


def _figure(session, record, figure: str) -> tuple[int, int]:
    day = record.content.header.discussion_at.date()
    result = tally.counted(session, Scope(start=day, end=day, team=record.team),
                           [BY_ID[figure]]).results[0]
    return result.total.numerator, result.total.denominator


def test_an_update_done_late_on_version_1_is_still_done_late_on_version_2(session):
    sw = make_user(session, "sam", team="Carry")
    record = _finalised(session, sw, at=discussion_time() - timedelta(days=14))
    due = record.content.update_action.due_date
    late = min(due + timedelta(days=1), uk_now().date())
    assert late > due
    record = entries.record_action(session, record, sw, record.revision, entries.ActionProgress(
        position=0, outcome="done", note="Emailed each agency", done_on=late,
        updated=_everyone(record), how="Email"))
    record = followup.amend(session, record, sw, record.revision, "The police role was wrong")
    record = _refinalised(session, record, sw)
    assert record.version == 2
    update = _row(session, record, "update_agencies")
    assert (update.status, update.done_on, update.due_date) == ("done", late, due)
    # The live audit counts it late (before: in the denominator and in no numerator).
    assert _figure(session, record, "update-late") == (1, 1)
    assert _figure(session, record, "update-on-time") == (0, 1)


def test_the_review_the_referrer_told_and_a_cancellation_carry_to_the_next_version(session):
    eve = make_user(session, "eve", "edt_worker", team="EDT")
    at = discussion_time()
    record = _finalised(
        session, eve,
        header={"led_by": "edt", "concern_at": (at - timedelta(hours=5)).isoformat(),
                "discussion_at": at.isoformat()},
        grounds={"referrer_informed_on": None, "referrer_informed_how": None},
        decision={"outcome": "further_strategy"},
        next_steps={"next_discussion_on": str(uk_now().date() + timedelta(days=7))})
    day = at.date()
    record = entries.record_edt_review(session, record, eve, record.revision, {
        "reviewed_by": "Sam", "reviewed_on": day.isoformat(), "checked": "All",
        "further_needed": "no"})
    record = entries.record_referrer_told(session, record, eve, record.revision, {
        "told_by": "Eve", "told_on": day.isoformat(), "how": "Phone"})
    record = entries.cancel_further_discussion(session, record, eve, record.revision,
                                                "The family moved")
    record = followup.amend(session, record, eve, record.revision, "A name was misspelt")
    record = _refinalised(session, record, eve)
    session.expire_all()
    record = session.get(StrategyRecord, record.id)
    assert (record.version, record.reviewed_on, record.referrer_told_on) == (2, day, day)
    assert record.referrer_feedback_due is False
    cancellation = _row(session, record, projection.CANCELLATION_UPDATE)
    assert cancellation.status == "open"
    # Carried, not repeated: one review, one told referrer, one cancellation, and each
    # refused a second time on version 2.
    with pytest.raises(followup.Refused, match="already recorded its review"):
        entries.record_edt_review(session, record, eve, record.revision, {"reviewed_by": "Sam"})
    with pytest.raises(followup.Refused, match="already cancelled"):
        entries.cancel_further_discussion(session, record, eve, record.revision, "again")
    assert [r.kind for r in session.exec(select(TrackedAction).where(
        TrackedAction.record_id == record.id, TrackedAction.version == 2))].count(
        projection.CANCELLATION_UPDATE) == 1


def test_the_referrer_feedback_is_a_dated_action_in_the_tracker_until_told(session,
                                                                          settings_env):
    settings_env(referrer_feedback_working_days=2)
    sw = make_user(session, "sam", team="Referrers")
    manager = make_user(session, "mo", "manager", team="Referrers")
    record = _finalised(session, sw,
                        grounds={"referrer_informed_on": None, "referrer_informed_how": None})
    day = record.content.header.discussion_at.date()
    due = add_working_days(day, 2)
    rows = [r for r in tracker.open_actions(session, manager, tracker.ActionQuery()).rows
            if r.record_id == record.id and r.kind == projection.REFERRER_FEEDBACK]
    assert [(r.description, r.due_date, r.owner) for r in rows] == [
        (projection.REFERRER_TEXT, due, "Children's social care")]
    assert rows[0].overdue == (due < uk_now().date())
    overdue_before = tracker.manager_counts(session, manager).overdue_actions
    record = entries.record_referrer_told(session, record, sw, record.revision, {
        "told_by": "Sam", "told_on": day.isoformat(), "how": "Phone"})
    assert not [r for r in tracker.open_actions(session, manager, tracker.ActionQuery()).rows
                if r.kind == projection.REFERRER_FEEDBACK]
    feedback = _row(session, record, projection.REFERRER_FEEDBACK)
    assert (feedback.status, feedback.done_on) == ("done", day)
    overdue_after = tracker.manager_counts(session, manager).overdue_actions
    assert overdue_before - overdue_after == (1 if due < uk_now().date() else 0)


def test_the_referrer_feedback_is_overdue_from_the_working_day_after_it_is_due(session,
                                                                              settings_env):
    sw = make_user(session, "sam", team="Due")
    manager = make_user(session, "mo", "manager", team="Due")
    record = _finalised(session, sw,
                        grounds={"referrer_informed_on": None, "referrer_informed_how": None})
    day = record.content.header.discussion_at.date()
    today = uk_now().date()
    # Due today (or, on a weekend or bank holiday, the next working day): not overdue. Due the
    # working day before: overdue, by one working day if today is one, else by none yet.
    working_days_to_today = 0
    while add_working_days(day, working_days_to_today) < today:
        working_days_to_today += 1
    for days, overdue in ((working_days_to_today, False), (working_days_to_today - 1, True)):
        settings_env(referrer_feedback_working_days=days)
        projection.project(session, record.id)
        session.commit()
        row = next(r for r in tracker.open_actions(session, manager, tracker.ActionQuery()).rows
                   if r.record_id == record.id and r.kind == projection.REFERRER_FEEDBACK)
        assert row.due_date == add_working_days(day, days)
        late = 1 if overdue and is_working_day(today) else 0
        assert (row.overdue, row.working_days_overdue) == (overdue, late), days


def test_the_update_action_through_the_api_as_on_the_page(anonymous, session):
    sw = make_user(session, "sam", team="Api")
    record = _finalised(session, sw)
    client = signed_in(anonymous, session, sw)
    url = f"/api/strategies/{record.id}/actions/0"
    police, hv = STANDARD_ORGANISATIONS["police"], STANDARD_ORGANISATIONS["health_visiting"]
    cancelled = client.post(url, json={"revision": record.revision, "outcome": "cancelled",
                                       "note": "Not needed"})
    assert cancelled.status_code == 409
    assert "cannot be cancelled" in cancelled.json()["detail"]
    partly = client.post(url, json={"revision": record.revision, "outcome": "done",
                                    "note": "Emailed", "done_on": str(uk_now().date()),
                                    "updated": [police], "how": "Email"})
    assert partly.status_code == 422
    assert partly.json()["detail"][0]["loc"] == ["body", "updated"]
    assert partly.json()["detail"][0]["msg"] == (
        "Tick each organisation that was updated, or say why it was not: Health visiting")
    forged = client.post(url, json={"revision": record.revision, "outcome": "done",
                                    "note": "Emailed", "done_on": str(uk_now().date()),
                                    "updated": [police, 999999], "how": "Email"})
    assert forged.status_code == 422
    done = client.post(url, json={
        "revision": record.revision, "outcome": "done", "note": "Emailed",
        "done_on": str(uk_now().date()), "updated": [police],
        "not_updated": {str(hv): "No health visitor allocated yet"}, "how": "Email"})
    assert done.status_code == 200, done.text
    update = _row(session, record, "update_agencies")
    assert (update.status, update.done_on) == ("done", uk_now().date())
    entry_details = session.exec(select(FollowUpEntry).where(
        FollowUpEntry.record_id == record.id,
        FollowUpEntry.kind == "action_done")).one().details
    assert entry_details["updated"] == [{"organisation_id": police, "name": "Police"}]
    assert entry_details["not_updated"] == [{"organisation_id": hv, "name": "Health visiting",
                                             "reason": "No health visitor allocated yet"}]


def test_a_redated_action_keeps_its_new_date_on_the_next_version(session):
    sw = make_user(session, "sam", team="Redate")
    record = _finalised(session, sw)
    later = uk_now().date() + timedelta(days=12)
    record = entries.record_action(session, record, sw, record.revision, entries.ActionProgress(
        position=0, outcome="redated", note="The officer is on leave", due_date=later))
    record = followup.amend(session, record, sw, record.revision, "Typo")
    # The amendment's draft starts from the new date, as its author sees it.
    assert record.content.update_action.due_date == later
    record = _refinalised(session, record, sw)
    update = _row(session, record, "update_agencies")
    assert (update.status, update.due_date) == ("open", later)
