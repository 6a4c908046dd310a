"""The follow-up forms' refusals word for word, their limits at the limit and one over, and
their dates on each side of each boundary: an action done, cancelled or re-dated, the referrer
told the outcome and the day team's review of an EDT-led discussion (app/followup/entries.py).

A person reads these messages to put the form right, and a wrong field name or a dropped limit
passes every happy path: each test asserts the whole of what is refused, and what is written
when it is accepted. Dates are relative to the discussion (a working day at least three days
ago, tests/builders.discussion_time) and to today, never to a weekday."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from app.clock import uk_today
from app.domain.fields import LONG_TEXT_MAX, SHORT_TEXT_MAX
from app.domain.schema import StrategyRecordData
from app.followup import entries, lifecycle
from app.followup import service as followup
from app.followup.models import FollowUpEntry, TrackedAction
from app.followup.service import Invalid, Refused, StaleRecord
from app.records.models import StrategyRecord
from tests.builders import discussion_time
from tests.conftest import as_user, make_user
from tests.html import error_summary, post_follow_up_form, soup
from tests.report_world import dated

# The dated() record's actions: update all agencies (0), a joint visit (1) and, when the
# referrer was not yet told, the referrer's feedback (2).
UPDATE, VISIT, FEEDBACK = 0, 1, 2
NOT_TOLD = {"referrer_informed_on": None, "referrer_informed_how": None}
EDT_HEADER = {"led_by": "edt"}


def _draft(session, user, **changes) -> StrategyRecord:
    at = discussion_time()
    if "header" in changes:  # the header's times come from dated(); only add to them
        changes["header"] = {"concern_at": (at - timedelta(hours=5)).isoformat(),
                             "discussion_at": at.isoformat(), **changes["header"]}
    return lifecycle.create_record(session, data=dated(at, **changes), team=user.team,
                                   created_by_id=user.id)


def _finalised(session, user, **changes) -> StrategyRecord:
    record = _draft(session, user, **changes)
    return lifecycle.finalise_record(session, record=record, expected_revision=record.revision,
                                     finalised_by=user)


def _day(record) -> date:
    return record.content.header.discussion_at.date()


def _long_date(day: date) -> str:
    return f"{day:%-d %B %Y}"


def _entries(session, record, kind: str) -> list[FollowUpEntry]:
    session.expire_all()
    return list(session.exec(select(FollowUpEntry).where(
        FollowUpEntry.record_id == record.id, FollowUpEntry.kind == kind)))


def _action(session, record, position: int) -> TrackedAction:
    session.expire_all()
    return session.exec(select(TrackedAction).where(
        TrackedAction.record_id == record.id, TrackedAction.version == record.version,
        TrackedAction.position == position)).one()


def _invalid(call, *args, **kwargs) -> dict[str, str]:
    with pytest.raises(Invalid) as raised:
        call(*args, **kwargs)
    return raised.value.errors


def _refused(call, *args, **kwargs) -> str:
    with pytest.raises(Refused) as raised:
        call(*args, **kwargs)
    return raised.value.reason


@pytest.fixture
def sam(session):
    return make_user(session, "sam", team="Follow")


@pytest.fixture
def eve(session):
    return make_user(session, "eve", "edt_worker", team="EDT")


# --- an action's outcome -----------------------------------------------------------------------


def _progress(session, record, user, **progress) -> StrategyRecord:
    return entries.record_action(session, record, user, record.revision,
                                 entries.ActionProgress(**progress))


def test_progress_on_a_draft_is_refused_naming_what_and_the_status(session, sam):
    record = _draft(session, sam)
    assert _refused(_progress, session, record, sam, position=VISIT, outcome="done",
                    note="Visited", done_on=_day(record)) == (
        "Only a finalised or authorised record can have action progress recorded: this record "
        "is a draft")


def test_an_action_is_chosen_by_its_position_among_this_records_actions(session, sam):
    record = _finalised(session, sam)
    for position in (7, -1, "1", None):
        assert _invalid(_progress, session, record, sam, position=position,
                        outcome="done", note="Visited",
                        done_on=_day(record)) == {
            "position": "Choose one of this record's actions"}


def test_the_referrers_feedback_is_refused_here_and_pointed_to_its_own_form(session, sam):
    record = _finalised(session, sam, grounds=NOT_TOLD)
    assert _action(session, record, FEEDBACK).kind == "referrer_feedback"
    assert _refused(_progress, session, record, sam, position=FEEDBACK, outcome="done",
                    note="Phoned", done_on=_day(record)) == (
        "Record how the referrer was told with the form 'Tell the referrer the outcome'")


def test_an_action_done_or_cancelled_is_refused_a_second_time_naming_its_status(session, sam):
    record = _finalised(session, sam)
    record = _progress(session, record, sam, position=VISIT, outcome="cancelled",
                       note="The family moved away")
    for outcome in ("done", "cancelled", "redated"):
        assert _refused(_progress, session, record, sam, position=VISIT, outcome=outcome,
                        note="Again", done_on=_day(record),
                        due_date=uk_today() + timedelta(days=5)) == (
            "This action is already cancelled")
    record = _progress(session, record, sam, position=UPDATE, outcome="done", note="Emailed",
                       done_on=_day(record), updated=(9001, 9003), how="Email")
    assert _refused(_progress, session, record, sam, position=UPDATE, outcome="done",
                    note="Again", done_on=_day(record), updated=(9001, 9003),
                    how="Email") == "This action is already done"


def test_an_outcome_other_than_done_cancelled_or_redated_is_refused(session, sam):
    record = _finalised(session, sam)
    for outcome in ("finished", "", "action_done", "Done"):
        assert _invalid(_progress, session, record, sam, position=VISIT,
                        outcome=outcome, note="Visited",
                        done_on=_day(record)) == {
            "outcome": "Choose done, cancelled or a new date"}
    assert _entries(session, record, "action_done") == []


def test_the_update_all_agencies_action_is_refused_cancelling_with_the_way_out(session, sam):
    record = _finalised(session, sam)
    assert _refused(_progress, session, record, sam, position=UPDATE,
                    outcome="cancelled", note="Not needed") == (
        "The action to update all agencies cannot be cancelled: record it as done, saying why "
        "any organisation was not updated, or give it a new date and the reason")
    assert _action(session, record, UPDATE).status == "open"


def test_an_action_done_with_nothing_typed_names_each_missing_field(session, sam):
    record = _finalised(session, sam)
    assert _invalid(_progress, session, record, sam, position=VISIT,
                    outcome="done") == {
        "note": "Say what was done",
        "done_on": "Enter the date it was done, like 23/11/2026"}
    assert _invalid(_progress, session, record, sam, position=UPDATE, outcome="done",
                    note="  ", done_on=" ", how="") == {
        "note": "Say what was done",
        "done_on": "Enter the date it was done, like 23/11/2026",
        "updated": "Tick each organisation that was updated, or say why it was not: Police, "
                   "Health visiting",
        "how": "Say how the organisations were updated"}


def test_the_day_an_action_was_done_runs_from_the_discussion_to_today(session, sam):
    record = _finalised(session, sam)
    day, today = _day(record), uk_today()

    def done_on(when):
        return _invalid(_progress, session, record, sam, position=VISIT, outcome="done",
                        note="Visited", done_on=when)

    before = f"The date it was done cannot be before the discussion on {_long_date(day)}"
    assert done_on(day - timedelta(days=1)) == {"done_on": before}
    assert done_on(str(day - timedelta(days=1))) == {"done_on": before}
    assert done_on(today + timedelta(days=1)) == {
        "done_on": "The date it was done must not be in the future"}
    assert done_on(["2026-12-01", "2026-12-02"]) == {
        "done_on": "Enter the date it was done, like 23/11/2026"}
    # The discussion's day and today are both inside: a fresh record for each.
    for when in (day, today):
        record = _finalised(session, sam)
        record = _progress(session, record, sam, position=VISIT, outcome="done",
                           note="Visited", done_on=when)
        assert (_action(session, record, VISIT).status,
                _action(session, record, VISIT).done_on) == ("done", when)


def test_an_action_done_is_written_as_typed_under_its_key(session, sam):
    record = _finalised(session, sam)
    day = _day(record)
    record = _progress(session, record, sam, position=VISIT, outcome="done",
                       note="  Visited with DC Evans  ", done_on=f"{day:%d/%m/%Y}")
    [entry] = _entries(session, record, "action_done")
    assert (entry.action_position, entry.details) == (VISIT, {
        "key": ["task", "joint visit", "sw", 0], "action": "Joint visit",
        "note": "Visited with DC Evans", "done_on": day.isoformat()})
    assert (entry.by_name, entry.version) == ("Sam", 1)


def test_only_organisations_on_the_distribution_are_ticked_and_each_reason_is_short(session,
                                                                                    sam):
    record = _finalised(session, sam)
    day = _day(record)

    def update(updated, reason):
        return _progress(session, record, sam, position=UPDATE, outcome="done", note="Emailed",
                         done_on=day, updated=updated, not_updated={9003: reason}, how="Email")

    # 9002 is an organisation, but not one this record was distributed to.
    assert _invalid(update, (9001, 9002), "No visitor yet") == {
        "updated": "Select organisations from the record's distribution list"}
    assert _invalid(update, (9001,), "r" * (SHORT_TEXT_MAX + 1)) == {
        "updated": f"Give each reason in at most {SHORT_TEXT_MAX} characters"}
    # Ticked twice (a field posted twice) is one organisation ticked.
    record = update((9001, 9001), "r" * SHORT_TEXT_MAX)
    [entry] = _entries(session, record, "action_done")
    assert (entry.details["updated"], entry.details["not_updated"]) == (
        [{"organisation_id": 9001, "name": "Police"}],
        [{"organisation_id": 9003, "name": "Health visiting", "reason": "r" * SHORT_TEXT_MAX}])


def test_how_the_agencies_were_updated_is_short_text(session, sam):
    record = _finalised(session, sam)
    day = _day(record)

    def update(how):
        return _progress(session, record, sam, position=UPDATE, outcome="done", note="Emailed",
                         done_on=day, updated=(9001,), not_updated={9003: "No visitor yet"},
                         how=how)

    assert _invalid(update, "e" * (SHORT_TEXT_MAX + 1)) == {
        "how": f"Use at most {SHORT_TEXT_MAX} characters"}
    record = update("e" * SHORT_TEXT_MAX)
    [entry] = _entries(session, record, "action_done")
    assert entry.details == {
        "key": ["update_agencies"],
        "action": "CSC will update all agencies involved on outcomes/actions taken by "
                  f"{_long_date(day + timedelta(days=3))}",
        "note": "Emailed", "done_on": day.isoformat(),
        "updated": [{"organisation_id": 9001, "name": "Police"}],
        "not_updated": [{"organisation_id": 9003, "name": "Health visiting",
                         "reason": "No visitor yet"}],
        "how": "e" * SHORT_TEXT_MAX}


def test_what_was_done_is_long_text(session, sam):
    record = _finalised(session, sam)
    assert _invalid(_progress, session, record, sam, position=VISIT, outcome="done",
                    note="n" * (LONG_TEXT_MAX + 1),
                    done_on=_day(record)) == {
        "note": f"Use at most {LONG_TEXT_MAX} characters"}
    record = _progress(session, record, sam, position=VISIT, outcome="done",
                       note="n" * LONG_TEXT_MAX, done_on=_day(record))
    assert _action(session, record, VISIT).status == "done"


def test_a_cancellation_needs_its_reason_and_is_written_with_it(session, sam):
    record = _finalised(session, sam)
    assert _invalid(_progress, session, record, sam, position=VISIT,
                    outcome="cancelled", note=" ") == {
        "note": "Give the reason the action was cancelled"}
    record = _progress(session, record, sam, position=VISIT, outcome="cancelled",
                       note="The family moved away", done_on="not a date",
                       due_date="not a date either")
    [entry] = _entries(session, record, "action_cancelled")
    assert (entry.action_position, entry.details) == (VISIT, {
        "key": ["task", "joint visit", "sw", 0], "action": "Joint visit",
        "note": "The family moved away"})
    assert _action(session, record, VISIT).status == "cancelled"


def test_a_new_date_needs_its_reason_and_the_date(session, sam):
    record = _finalised(session, sam)
    assert _invalid(_progress, session, record, sam, position=VISIT,
                    outcome="redated") == {
        "note": "Give the reason for the new date",
        "due_date": "Enter the new date, like 23/11/2026"}
    for blank in ("", "   ", ["2026-12-20", "2026-12-21"], 20261220):
        assert _invalid(_progress, session, record, sam, position=VISIT,
                        outcome="redated", note="Family away",
                        due_date=blank) == {
            "due_date": "Enter the new date, like 23/11/2026"}
    assert _invalid(_progress, session, record, sam, position=VISIT, outcome="redated",
                    note="Family away", due_date="31/02/2027") == {
        "due_date": "Enter a real date, like 27 3 2026"}


def test_a_new_date_is_today_or_later(session, sam):
    record = _finalised(session, sam)
    day, today = _day(record), uk_today()
    later = "The new date must be today or later"

    def redate(when):
        return _invalid(_progress, session, record, sam, position=VISIT,
                        outcome="redated", note="Family away",
                        due_date=when)

    for past in (today - timedelta(days=1), day + timedelta(days=1), day - timedelta(days=1)):
        assert redate(past) == {"due_date": later}
        assert redate(f"{past:%d/%m/%Y}") == {"due_date": later}
    for when in (today, today + timedelta(days=1), today + timedelta(days=30)):
        record = _finalised(session, sam)
        record = _progress(session, record, sam, position=VISIT, outcome="redated",
                           note="Family away", due_date=str(when))
        assert _action(session, record, VISIT).due_date == when
        [entry] = _entries(session, record, "action_redated")
        assert entry.details == {"key": ["task", "joint visit", "sw", 0],
                                 "action": "Joint visit", "note": "Family away",
                                 "due_date": when.isoformat()}


def test_a_new_date_must_differ_from_the_one_it_is_due(session, sam):
    record = _finalised(session, sam)
    later = uk_today() + timedelta(days=10)
    record = _progress(session, record, sam, position=VISIT, outcome="redated",
                       note="Family away", due_date=later)
    assert _action(session, record, VISIT).due_date == later
    for same in (later, later.isoformat(), f"{later:%d/%m/%Y}"):
        assert _invalid(_progress, session, record, sam, position=VISIT,
                        outcome="redated", note="Still away",
                        due_date=same) == {
            "due_date": "Enter a date other than the one it is due"}
    record = _progress(session, record, sam, position=VISIT, outcome="redated",
                       note="Back on the 16th", due_date=later + timedelta(days=1))
    assert _action(session, record, VISIT).due_date == later + timedelta(days=1)


def test_progress_is_recorded_on_this_records_action_not_anothers(session, sam):
    first = _finalised(session, sam, actions=[
        {"kind": "update_agencies", "due_date": str(uk_today())},
        {"description": "Home visit", "owner": "SW", "due_date": str(uk_today())}])
    second = _finalised(session, sam)
    # Each record has its own action at the same position: each is recorded as itself,
    # whichever record is first.
    second = _progress(session, second, sam, position=VISIT, outcome="cancelled",
                       note="Not needed")
    first = _progress(session, first, sam, position=VISIT, outcome="done", note="Visited",
                      done_on=_day(first))
    assert [entry.details["action"] for entry in _entries(session, first, "action_done")] == [
        "Home visit"]
    assert [entry.details["action"] for entry in _entries(session, second, "action_cancelled")
            ] == ["Joint visit"]
    assert (_action(session, first, VISIT).status,
            _action(session, second, VISIT).status) == ("done", "cancelled")


def test_progress_on_an_amended_record_is_judged_against_its_current_version(session, sam):
    later, latest = uk_today() + timedelta(days=5), uk_today() + timedelta(days=8)
    record = _finalised(session, sam, actions=[
        {"kind": "update_agencies", "due_date": str(uk_today())},
        {"description": "Joint visit", "owner": "SW", "due_date": str(later)}])
    record = followup.amend(session, record, sam, record.revision, "The visit moved")
    changed = record.content.model_dump(mode="json")
    changed["actions"][1]["due_date"] = str(latest)
    record = lifecycle.save_record(
        session, record=record, expected_revision=None,
        data=StrategyRecordData.model_validate(changed, context={"stored": True}))
    record = lifecycle.finalise_record(session, record=record, expected_revision=None,
                                       finalised_by=sam)
    assert (record.version, _action(session, record, VISIT).due_date) == (2, latest)
    # Version 2's visit is due on the later day: that is the date it must move from.
    assert _invalid(_progress, session, record, sam, position=VISIT, outcome="redated",
                    note="Family away", due_date=latest) == {
        "due_date": "Enter a date other than the one it is due"}
    record = _progress(session, record, sam, position=VISIT, outcome="redated",
                       note="Family back sooner", due_date=later)
    assert _action(session, record, VISIT).due_date == later


def test_progress_based_on_an_old_revision_is_stale_and_writes_nothing(session, sam):
    record = _finalised(session, sam)
    old = record.revision
    record = _progress(session, record, sam, position=UPDATE, outcome="redated",
                       note="Waiting for the police", due_date=uk_today() + timedelta(days=3))
    with pytest.raises(StaleRecord):
        entries.record_action(session, record, sam, old, entries.ActionProgress(
            position=VISIT, outcome="done", note="Visited", done_on=_day(record)))
    assert _entries(session, record, "action_done") == []
    assert _action(session, record, VISIT).status == "open"


# --- the referrer told the outcome ---------------------------------------------------------------


def _told(session, record, user, values) -> StrategyRecord:
    return entries.record_referrer_told(session, record, user, record.revision, values)


def test_the_referrer_told_on_a_draft_is_refused(session, sam):
    record = _draft(session, sam, grounds=NOT_TOLD)
    assert _refused(_told, session, record, sam,
                    {"told_by": "Sam", "told_on": str(_day(record)), "how": "Phone"}) == (
        "Only a finalised or authorised record can have referrer feedback recorded: this "
        "record is a draft")


def test_the_referrer_told_with_nothing_typed_names_each_missing_field(session, sam):
    record = _finalised(session, sam, grounds=NOT_TOLD)
    missing = {"told_by": "Enter who told the referrer",
               "told_on": "Enter the date the referrer was told, like 23/11/2026",
               "how": "Say how the referrer was told (phone, letter, meeting ...)"}
    assert _invalid(_told, session, record, sam, {}) == missing
    assert _invalid(_told, session, record, sam, {
        "told_by": " ", "told_on": "", "how": ["Phone", "Letter"],
        "family_member": "no"}) == missing
    # A family member is told only what may be shared: how much must be said.
    shared = {"shared": "Say how much was shared with the family member"}
    for family in ("yes", True):
        assert _invalid(_told, session, record, sam, {"family_member": family}) == (
            missing | shared)


def test_the_day_the_referrer_was_told_runs_from_the_discussion_to_today(session, sam):
    record = _finalised(session, sam, grounds=NOT_TOLD)
    day, today = _day(record), uk_today()

    def told_on(when):
        return _invalid(_told, session, record, sam, {
                        "told_by": "Sam", "told_on": when, "how": "Phone"})

    assert told_on(str(day - timedelta(days=1))) == {
        "told_on": "The date the referrer was told cannot be before the discussion on "
                   f"{_long_date(day)}"}
    assert told_on(str(today + timedelta(days=1))) == {
        "told_on": "The date the referrer was told must not be in the future"}
    for when in (day, today):
        record = _finalised(session, sam, grounds=NOT_TOLD)
        record = _told(session, record, sam, {"told_by": "Sam", "told_on": str(when),
                                              "how": "Phone"})
        assert record.referrer_told_on == when


def test_who_told_the_referrer_and_how_are_short_text_and_what_was_shared_long(session, sam):
    record = _finalised(session, sam, grounds=NOT_TOLD)
    day = str(_day(record))
    at_limit = {"told_by": "b" * SHORT_TEXT_MAX, "told_on": day, "how": "h" * SHORT_TEXT_MAX,
                "family_member": "yes", "shared": "s" * LONG_TEXT_MAX}
    for name, limit in (("told_by", SHORT_TEXT_MAX), ("how", SHORT_TEXT_MAX),
                        ("shared", LONG_TEXT_MAX)):
        assert _invalid(_told, session, record, sam, at_limit | {name: "x" * (limit + 1)}) == {
            name: f"Use at most {limit} characters"}
    record = _told(session, record, sam, at_limit)
    [entry] = _entries(session, record, "referrer_told")
    assert entry.details == {"told_by": "b" * SHORT_TEXT_MAX, "told_on": day,
                             "how": "h" * SHORT_TEXT_MAX, "family_member": "yes",
                             "shared": "s" * LONG_TEXT_MAX}


def test_the_referrer_told_is_written_with_whether_they_are_family(session, sam):
    record = _finalised(session, sam, grounds=NOT_TOLD)
    day = _day(record)
    record = _told(session, record, sam, {"told_by": " Sam Lee ", "told_on": f"{day:%d/%m/%Y}",
                                          "how": "Phone", "family_member": True,
                                          "shared": "The outcome only"})
    other = _finalised(session, sam, grounds=NOT_TOLD)
    # Not a family member: how much was shared is not asked, and kept if said.
    other = _told(session, other, sam, {"told_by": "Sam", "told_on": str(day), "how": "Letter",
                                        "family_member": "no"})
    third = _finalised(session, sam, grounds=NOT_TOLD)
    third = _told(session, third, sam, {"told_by": "Sam", "told_on": str(day), "how": "Letter",
                                        "shared": "Everything"})
    assert [entry.details for entry in _entries(session, record, "referrer_told")] == [
        {"told_by": "Sam Lee", "told_on": day.isoformat(), "how": "Phone",
         "family_member": "yes", "shared": "The outcome only"}]
    assert [entry.details for entry in _entries(session, other, "referrer_told")] == [
        {"told_by": "Sam", "told_on": day.isoformat(), "how": "Letter", "family_member": "no"}]
    assert [entry.details for entry in _entries(session, third, "referrer_told")] == [
        {"told_by": "Sam", "told_on": day.isoformat(), "how": "Letter", "family_member": "no",
         "shared": "Everything"}]
    assert _action(session, record, FEEDBACK).status == "done"


def test_the_referrer_told_based_on_an_old_revision_is_stale(session, sam):
    record = _finalised(session, sam, grounds=NOT_TOLD)
    old = record.revision
    record = _progress(session, record, sam, position=VISIT, outcome="cancelled",
                       note="Not needed")
    with pytest.raises(StaleRecord):
        entries.record_referrer_told(session, record, sam, old, {
            "told_by": "Sam", "told_on": str(_day(record)), "how": "Phone"})
    assert _entries(session, record, "referrer_told") == []


def test_the_referrer_form_shows_each_message_on_the_page(anonymous, session, sam):
    record = _finalised(session, sam, grounds=NOT_TOLD)
    client = as_user(anonymous, session, sam)
    answer = post_follow_up_form(client, record.id, "referrer-form", told_by="", told_on="",
                                 how="", family_member="yes")
    assert answer.status_code == 422
    assert error_summary(soup(answer)) == {
        "#referrer-told_by-input": "Enter who told the referrer",
        "#referrer-told_on-input": "Enter the date the referrer was told, like 23/11/2026",
        "#referrer-how-input": "Say how the referrer was told (phone, letter, meeting ...)",
        "#referrer-shared-input": "Say how much was shared with the family member"}
    answer = post_follow_up_form(client, record.id, "referrer-form", told_by="b" * 201,
                                 told_on=str(uk_today() + timedelta(days=1)), how="Phone")
    assert error_summary(soup(answer)) == {
        "#referrer-told_by-input": "Use at most 200 characters",
        "#referrer-told_on-input": "The date the referrer was told must not be in the future"}


# --- the day team's review of an EDT-led discussion --------------------------------------------


def _reviewed(session, record, user, values) -> StrategyRecord:
    return entries.record_edt_review(session, record, user, record.revision, values)


def _review(record, **changes) -> dict:
    return {"reviewed_by": "Sam Lee", "reviewed_on": str(_day(record)),
            "checked": "The grounds and the actions", "further_needed": "no"} | changes


def test_a_review_of_a_draft_or_a_day_team_discussion_is_refused(session, sam, eve):
    draft = _draft(session, eve, header=EDT_HEADER)
    assert _refused(_reviewed, session, draft, eve, _review(draft)) == (
        "Only a finalised or authorised record can have a day-team review recorded: this "
        "record is a draft")
    day_team = _finalised(session, sam)
    assert _refused(_reviewed, session, day_team, sam, _review(day_team)) == (
        "Only an EDT-led discussion has a day-team review")
    assert _entries(session, day_team, "edt_review") == []


def test_a_second_review_is_refused(session, eve):
    record = _finalised(session, eve, header=EDT_HEADER)
    record = _reviewed(session, record, eve, _review(record))
    assert _refused(_reviewed, session, record, eve, _review(record)) == (
        "The day team has already recorded its review of this discussion")
    assert len(_entries(session, record, "edt_review")) == 1


def test_a_review_with_nothing_typed_names_each_missing_field(session, eve):
    record = _finalised(session, eve, header=EDT_HEADER)
    missing = {"reviewed_by": "Enter who reviewed the record",
               "reviewed_on": "Enter the date of the review, like 23/11/2026",
               "checked": "Say what was checked",
               "further_needed": "Say whether a further strategy discussion is needed"}
    assert _invalid(_reviewed, session, record, eve, {}) == missing
    assert _invalid(_reviewed, session, record, eve, {
        "reviewed_by": "  ", "reviewed_on": " ", "checked": ["A", "B"], "corrected": "",
        "further_needed": ["yes", "no"]}) == missing
    for answer in ("Yes", "maybe", "", True, None):
        assert _invalid(_reviewed, session, record, eve,
                        _review(record, further_needed=answer)) == {
            "further_needed": "Say whether a further strategy discussion is needed"}


def test_the_day_of_the_review_runs_from_the_discussion_to_today(session, eve):
    record = _finalised(session, eve, header=EDT_HEADER)
    day, today = _day(record), uk_today()
    assert _invalid(_reviewed, session, record, eve,
                    _review(record, reviewed_on=str(day - timedelta(days=1)))) == {
        "reviewed_on": f"The date of the review cannot be before the discussion on "
                       f"{_long_date(day)}"}
    assert _invalid(_reviewed, session, record, eve,
                    _review(record, reviewed_on=str(today + timedelta(days=1)))) == {
        "reviewed_on": "The date of the review must not be in the future"}
    for when in (day, today):
        record = _finalised(session, eve, header=EDT_HEADER)
        record = _reviewed(session, record, eve, _review(record, reviewed_on=str(when)))
        assert record.reviewed_on == when


def test_who_reviewed_is_short_text_and_what_was_checked_or_corrected_long(session, eve):
    record = _finalised(session, eve, header=EDT_HEADER)
    for name, limit in (("reviewed_by", SHORT_TEXT_MAX), ("checked", LONG_TEXT_MAX),
                        ("corrected", LONG_TEXT_MAX)):
        assert _invalid(_reviewed, session, record, eve,
                        _review(record, **{name: "x" * (limit + 1)})) == {
            name: f"Use at most {limit} characters"}
    record = _reviewed(session, record, eve, _review(
        record, reviewed_by="r" * SHORT_TEXT_MAX, checked="c" * LONG_TEXT_MAX,
        corrected="k" * LONG_TEXT_MAX, further_needed="yes"))
    [entry] = _entries(session, record, "edt_review")
    assert entry.details == {"reviewed_by": "r" * SHORT_TEXT_MAX,
                             "reviewed_on": _day(record).isoformat(),
                             "checked": "c" * LONG_TEXT_MAX, "corrected": "k" * LONG_TEXT_MAX,
                             "further_needed": "yes"}


def test_a_review_is_written_as_typed_and_what_was_corrected_may_be_left_out(session, eve):
    record = _finalised(session, eve, header=EDT_HEADER)
    day = _day(record)
    record = _reviewed(session, record, eve, {
        "reviewed_by": " Sam Lee ", "reviewed_on": f"{day:%d/%m/%Y}",
        "checked": " The grounds ", "corrected": " ", "further_needed": "no"})
    [entry] = _entries(session, record, "edt_review")
    assert entry.details == {"reviewed_by": "Sam Lee", "reviewed_on": day.isoformat(),
                             "checked": "The grounds", "further_needed": "no"}
    assert (entry.by_name, record.reviewed_on, record.reviewed_at is not None) == (
        "Eve", day, True)


def test_a_review_based_on_an_old_revision_is_stale(session, eve):
    record = _finalised(session, eve, header=EDT_HEADER)
    old = record.revision
    record = _progress(session, record, eve, position=VISIT, outcome="cancelled",
                       note="Not needed")
    with pytest.raises(StaleRecord):
        entries.record_edt_review(session, record, eve, old, _review(record))
    assert _entries(session, record, "edt_review") == []
    assert session.get(StrategyRecord, record.id).reviewed_at is None


def test_the_review_form_shows_each_message_on_the_page(anonymous, session, eve):
    record = _finalised(session, eve, header=EDT_HEADER)
    client = as_user(anonymous, session, eve)
    answer = post_follow_up_form(client, record.id, "edt-review-form", reviewed_by="",
                                 reviewed_on="", checked="")
    assert answer.status_code == 422
    assert error_summary(soup(answer)) == {
        "#edt-review-reviewed_by-input": "Enter who reviewed the record",
        "#edt-review-reviewed_on-input": "Enter the date of the review, like 23/11/2026",
        "#edt-review-checked-input": "Say what was checked",
        "#edt-further-yes": "Say whether a further strategy discussion is needed"}
    answer = post_follow_up_form(client, record.id, "edt-review-form", reviewed_by="r" * 201,
                                 reviewed_on=str(_day(record) - timedelta(days=1)),
                                 checked="All", further_needed="no")
    assert error_summary(soup(answer)) == {
        "#edt-review-reviewed_by-input": "Use at most 200 characters",
        "#edt-review-reviewed_on-input": "The date of the review cannot be before the "
                                         f"discussion on {_long_date(_day(record))}"}
