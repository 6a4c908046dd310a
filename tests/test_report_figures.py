"""Every live-audit figure on a crafted set of records whose answers are worked out by hand,
with the edge cases: a bank-holiday weekend before an EDT review, an EDT record reviewed a day
late, a record amended after the period, a returned record, a draft, other teams and dates
outside the period."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update
from sqlmodel import select

from app.domain.schema import uk_now
from app.followup import lifecycle
from app.followup import service as followup
from app.followup.measure_table import RecordMeasure
from app.records.models import StrategyRecord
from app.reports.breakdowns import referrer_days, return_reasons
from app.reports.families import Scope
from app.reports.figures import BY_ID, is_behind, record_ids
from app.sending.models import RecordReceipt
from tests.fresh_count import report
from tests.report_world import PERIOD, World, dated


def _figures(session, **scope) -> dict:
    today = uk_now().date()
    results = report(session, Scope(*PERIOD, today=today, **scope))
    return {r.figure.id: (r.total.numerator, r.total.denominator) for r in results} | {
        f"{r.figure.id}.{part}": (c.numerator, c.denominator)
        for r in results for part, c in r.parts.items()}


def test_every_figure_over_the_crafted_records(session, world):
    figures = _figures(session)
    # A, B, C, D, E, F, G and the South team's S: the draft and the records outside the
    # period are not in it.
    records = 8
    assert figures["participants-recorded"] == (records, records)
    # F's version in force (amended after the period) no longer has the phone contribution.
    assert figures["outside-contributions"] == (records - 1, records)
    assert figures["agency-positions"] == (records, records)
    assert figures["no-concerns-recorded"] == (records, records)
    assert figures["not-contacted-reasons"] == (1, 1)  # B
    assert figures["experience-recorded"] == (records, records)
    assert figures["experience-observed"] == (2, 2)  # C's baby and F's unborn child
    # Update actions: A on time, B late, the rest open and overdue (due days after their
    # discussions, all long past).
    assert figures["update-on-time"] == (1, records)
    assert figures["update-late"] == (1, records)
    assert figures["update-overdue"] == (records - 2, records)
    assert figures["cancellation-told"] == (0, 1)  # C's cancellation, not yet told
    assert figures["edt-reviewed-on-time"] == (1, 2)  # D on time, E a day late
    assert figures["no-warnings-edt"] == (1, 2)  # D has a warning
    # Finalised with a warning: F (its pre-birth conference is late) and G (its referrer not
    # yet told: told later, which the referrer figure counts, but not this one).
    assert figures["no-warnings-day-team"] == (4, 6)
    assert figures["midwifery-unborn"] == (1, 1)
    assert figures["prebirth-conference"] == (0, 1)
    assert figures["referrer-told"] == (records, records)
    assert figures["icpc-within-limit"] == (records - 1, records - 1)  # C's outcome is not s47
    assert figures["authorised"] == (1, records)
    assert figures["returned"] == (1, records)
    # F amended. B was returned after it was sent and corrected as version 2: a correction,
    # not an amendment.
    assert figures["amended"] == (1, records)  # F; B was returned (a correction), not amended
    # Requests: made in the period, decided (3), one declined; one decided late.
    assert figures["requests-declined"] == (1, 3)
    assert figures["requests-triaged-on-time"] == (2, 3)
    assert figures["requests-by-agency"] == (4, 4)
    assert figures["requests-by-agency.school"] == (2, 2)
    assert figures["requests-by-agency.police"] == (2, 2)
    # Everything was sent on finalising, months after these discussions.
    assert figures["sent-on-time"] == (0, records)


def test_team_and_led_by_narrow_every_record_figure(session, world):
    north = _figures(session, team="North")
    assert north["participants-recorded"] == (5, 5)  # A, B, C, F, G (EDT's D, E are EDT team)
    edt = _figures(session, led_by="edt")
    assert edt["participants-recorded"] == (2, 2)
    assert edt["edt-reviewed-on-time"] == (1, 2)
    assert edt["no-warnings-day-team"] == (0, 0)
    # Requests belong to no team: the same whatever the team.
    assert north["requests-by-agency"] == (4, 4)


def test_each_figure_lists_exactly_the_records_it_counts(session, world):
    scope = Scope(*PERIOD, today=uk_now().date())
    ids = world.ids

    def listed(figure_id, **kwargs):
        found = set(session.execute(record_ids(BY_ID[figure_id], scope, **kwargs)).scalars())
        # Asked a record at a time (how the list walks), the same records.
        asked = is_behind(BY_ID[figure_id], scope, StrategyRecord.id, **kwargs)
        assert set(session.execute(select(StrategyRecord.id).where(asked)).scalars()) == found
        return found

    assert listed("edt-reviewed-on-time") == {ids["D"]}
    assert listed("edt-reviewed-on-time", numerator=False) == {ids["D"], ids["E"]}
    assert listed("not-contacted-reasons") == {ids["B"]}
    assert listed("update-on-time") == {ids["A"]}
    assert listed("update-late") == {ids["B"]}
    assert listed("returned") == {ids["B"]}
    assert listed("amended") == {ids["F"]}
    assert listed("authorised") == {ids["A"]}
    assert listed("prebirth-conference", numerator=False) == {ids["F"]}
    assert listed("outside-contributions", numerator=False) == {
        ids[n] for n in "ABCDEFGS"}
    assert ids["F"] not in listed("outside-contributions")
    # A request's records are the discussions it started (still drafts here).
    assert listed("requests-by-agency", part="school") == {ids["convened"], ids["convened late"]}
    assert listed("requests-triaged-on-time") == {ids["convened"]}
    assert listed("requests-declined") == set()


def test_a_referrer_told_before_the_discussion_is_never_averaged_in_as_negative_days(
        session, world):
    # A row stored before follow-up dates were judged against the discussion (issue 19): A's
    # referrer "told" 35 days before it. It is left out, not averaged in as -35 days.
    session.execute(update(RecordMeasure).where(RecordMeasure.record_id == world.ids["A"])
                    .values(referrer_told_on=date(2025, 12, 10)))  # A: 14 January 2026
    session.commit()
    scope = Scope(*PERIOD, today=uk_now().date())
    # Six told on the day of the discussion, G five days later.
    assert (referrer_days(session, scope).value, referrer_days(session, scope).over) == (
        round(5 / 7, 1), 7)


def test_referrers_are_told_on_average_and_return_reasons_are_counted(session, world):
    scope = Scope(*PERIOD, today=uk_now().date())
    # Seven told on the day of the discussion, G five days later.
    assert (referrer_days(session, scope).value, referrer_days(session, scope).over) == (
        round(5 / 8, 1), 8)
    # B was returned once, for two reasons; its comments are never read.
    reasons = return_reasons(session, scope)
    assert reasons.returns == 1
    assert {k: n for k, n in reasons.counts.items() if n} == {"decision": 1, "factual_error": 1}


def test_never_opened_counts_agencies_by_receipt_once_past_the_limit(session, world):
    later = uk_now().date() + timedelta(days=14)
    receipt = session.exec(select(RecordReceipt).where(
        RecordReceipt.record_id == world.ids["A"], RecordReceipt.agency == "police")).one()
    receipt.first_opened_at = datetime.now(UTC)
    session.add(receipt)
    session.commit()
    results = {r.figure.id: r for r in report(session, Scope(*PERIOD, today=later))}
    never = results["never-opened"]
    # Every record went to the police and health visiting (F also to midwifery: social care
    # owns the records and is no recipient); one opened.
    assert (never.total.numerator, never.total.denominator) == (8 * 2 + 1 - 1, 8 * 2 + 1)
    assert {agency: (part.numerator, part.denominator) for agency, part in never.parts.items()
            if part.denominator} == {"police": (7, 8), "health_visiting": (8, 8),
                                     "midwifery": (1, 1)}
    # Today nothing is past its open-by day yet: nothing is flagged.
    today = {r.figure.id: r for r in report(session, Scope(*PERIOD, today=uk_now().date()))}
    assert today["never-opened"].total.denominator == 0


def test_a_record_sent_within_a_working_day_of_its_discussion_is_on_time(session):
    w = World(session)
    at = uk_now().replace(tzinfo=None, second=0, microsecond=0) - timedelta(hours=1)
    record = w.finalised("now", dated(at))
    assert record.sent_late is False
    results = {r.figure.id: r for r in report(session, Scope(at.date(), at.date()))}
    assert (results["sent-on-time"].total.numerator,
            results["sent-on-time"].total.denominator) == (1, 1)


def test_a_returned_record_that_was_sent_stays_in_the_report_as_sent_and_returned(session):
    w = World(session)
    record = w.finalised("x", dated(datetime(2026, 3, 3, 10)))
    assert session.exec(select(RecordMeasure).where(RecordMeasure.record_id == record.id)).one()
    followup.return_record(session, record, w.manager, record.revision, "Check the dates",
                           ["factual_error"])
    # The version its agencies were sent stays in force while the correction is drafted.
    row = session.exec(select(RecordMeasure).where(RecordMeasure.record_id == record.id)).one()
    assert (row.version, row.returned) == (1, True)


def test_a_returned_record_never_sent_stays_in_the_report_until_its_correction_is_final(
        session, settings_env):
    """Returning a finalised version never unmakes it: it stays the version in force (marked
    returned) until the correction, the next version, is finalised."""
    settings_env(send_on="authorise")
    w = World(session)
    record = w.finalised("x", dated(datetime(2026, 3, 3, 10)))
    record = followup.return_record(session, record, w.manager, record.revision,
                                    "Check the dates", ["factual_error"])
    assert (record.status, record.version, record.latest_final_version) == ("draft", 2, 1)
    row = session.exec(select(RecordMeasure).where(RecordMeasure.record_id == record.id)).one()
    assert (row.version, row.returned, row.discussion_on) == (1, True, date(2026, 3, 3))
    corrected = dated(datetime(2026, 3, 4, 10))
    record = lifecycle.save_record(session, record=record, expected_revision=record.revision,
                                   data=corrected)
    lifecycle.finalise_record(session, record=record, expected_revision=record.revision,
                              finalised_by=w.sw)
    session.expire_all()
    row = session.exec(select(RecordMeasure).where(RecordMeasure.record_id == record.id)).one()
    assert (row.version, row.returned, row.discussion_on) == (2, True, date(2026, 3, 4))


def test_every_measure_has_its_column_in_the_read_model():
    from app.followup.measure_table import MEASURE_COLUMNS
    from app.rules.measures import MEASURE_IDS
    assert set(MEASURE_COLUMNS) == MEASURE_IDS
    assert all(column in RecordMeasure.model_fields for column in MEASURE_COLUMNS.values())


def test_upgrading_from_the_previous_head_projects_what_the_services_wrote(
        session, database_url, world):
    """A database at the previous head whose derived state is missing or stale (as older code
    left it: no report rows, done dates lost, review and referrer dates empty) gets, on
    upgrading, exactly what the services derive: the crafted records, their derived state
    wiped, taken back to 0011 and migrated again, read the same."""
    from sqlalchemy import delete, update

    from app import migrate
    from app.followup.models import TrackedAction
    from app.records.models import StrategyRecord
    from app.requests.models import StrategyRequest

    def snapshot():
        session.expire_all()
        in_force = {r.id: r.latest_final_version for r in session.exec(select(StrategyRecord))}
        return {
            "measures": sorted(tuple(sorted(m.model_dump().items()))
                               for m in session.exec(select(RecordMeasure))),
            "records": sorted((r.id, r.reviewed_on, r.referrer_told_on, r.sent_late)
                              for r in session.exec(select(StrategyRecord))),
            "actions": sorted((a.record_id, a.position, a.done_on, a.discussion_on)
                              for a in session.exec(select(TrackedAction))
                              if a.version == in_force[a.record_id]),
            "receipts": sorted((r.record_id, r.agency, r.discussion_on)
                               for r in session.exec(select(RecordReceipt))
                               if r.version == in_force[r.record_id]),
            "requests": sorted((q.id, q.triaged_in_time)
                               for q in session.exec(select(StrategyRequest))),
        }

    before = snapshot()
    assert len(before["measures"]) == 8 + 2  # the period's eight and the two outside it
    assert any(done_on for _, _, done_on, _ in before["actions"])
    session.execute(delete(RecordMeasure))
    session.execute(update(TrackedAction).values(done_on=None, status="open"))
    session.execute(update(StrategyRecord).values(reviewed_on=None, referrer_told_on=None,
                                                  sent_late=None))
    session.execute(update(RecordReceipt).values(discussion_on=None))
    session.commit()
    assert snapshot() != before
    session.close()
    db_engine = session.get_bind()
    db_engine.dispose()
    try:
        migrate.downgrade(database_url, "0011")
    finally:
        migrate.upgrade(database_url)
        db_engine.dispose()
    assert snapshot() == before
