"""Random sequences of what happens to a record (save, finalise, return, authorise, amend,
action progress, the referrer told, the day team's review, a further discussion cancelled,
a partner opening it) through the services. After every step:

- the derived state stored (list columns, tracked actions, the live audit's row, which
  version superseded which, the receipts' discussion day) equals a fresh projection of what
  happened (`projection.derive(facts.load(...))`);
- the live audit's figures for the record equal a count worked out here from the events,
  independently of the projection: facts recorded after the meeting survive every later
  version, the fixed action is never cancelled, and only amendments count as amended.
"""

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from app.config import get_settings
from app.domain.choices import ActionStatus
from app.domain.schema import uk_now
from app.followup import entries, facts, lifecycle, projection
from app.followup import service as followup
from app.followup.measure_table import RecordMeasure
from app.followup.models import FollowUpEntry, RecordVersion, TrackedAction
from app.records.models import RecordDistribution, StrategyRecord
from app.reports.families import Scope
from app.reports.figures import BY_ID
from app.sending import service as sending
from app.sending.models import RecordReceipt
from tests.builders import discussion_time
from tests.conftest import make_user
from tests.fresh_count import report
from tests.report_world import dated

FIGURES = ["returned", "amended", "authorised", "update-on-time", "update-late",
           "update-overdue", "referrer-told", "cancellation-told", "edt-reviewed-on-time"]
TEAMS = itertools.count(1)


def _plain(value):
    """Times compared as naive UTC (SQLite hands stored UTC times back without a zone)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _row(mapping: dict, drop=("id", "key")) -> dict:
    return {k: _plain(v) for k, v in mapping.items() if k not in drop}


def fresh(session, record_id: int) -> dict:
    derived = projection.derive(facts.load(session, record_id), get_settings(),
                                uk_now().date())
    sent = set(session.execute(select(RecordReceipt.version).where(
        RecordReceipt.record_id == record_id)).scalars())
    return {
        "columns": _row(derived.columns),
        "distribution": sorted(derived.distribution),
        "actions": [_row(a) for a in derived.actions],
        "measure": _row(derived.measure) if derived.measure else None,
        "superseded": {v: tuple(map(_plain, s)) for v, s in derived.superseded.items()},
        "receipt_days": {v: d for v, d in derived.receipt_days.items() if v in sent},
    }


def stored(session, record_id: int, like: dict) -> dict:
    """What is stored, read in the shape of `fresh`."""
    r = StrategyRecord
    names = list(like["columns"])
    row = session.execute(select(*(getattr(r, n) for n in names)).where(r.id == record_id)).one()
    actions = session.execute(select(TrackedAction).where(TrackedAction.record_id == record_id)
                              .order_by(TrackedAction.version, TrackedAction.position)).scalars()
    measure = session.execute(select(RecordMeasure).where(
        RecordMeasure.record_id == record_id)).scalar_one_or_none()
    versions = session.execute(select(RecordVersion).where(
        RecordVersion.record_id == record_id)).scalars()
    receipts = session.execute(select(RecordReceipt.version, RecordReceipt.discussion_on).where(
        RecordReceipt.record_id == record_id)).all()
    return {
        "columns": {n: _plain(v) for n, v in zip(names, row, strict=True)},
        "distribution": sorted(session.execute(select(
            RecordDistribution.organisation_id, RecordDistribution.agency).where(
            RecordDistribution.record_id == record_id)).all()),
        "actions": [_row(a.model_dump()) for a in actions],
        "measure": _row(measure.model_dump()) if measure else None,
        "superseded": {v.version: (v.superseded_by, _plain(v.superseded_at)) for v in versions},
        "receipt_days": dict(receipts),
    }


@dataclass
class Expected:
    """What happened, as this test keeps count of it."""

    day: date
    edt: bool
    referrer_untold: bool
    scheduled: bool
    status: str = "draft"
    version: int = 1
    in_force: int | None = None
    authorised: set = field(default_factory=set)
    returned: bool = False
    amended: bool = False
    update_due: date | None = None
    update_done_on: date | None = None
    told_on: date | None = None
    reviewed_on: date | None = None
    review_due: date | None = None
    cancelled: bool = False
    cancellation_done: bool = False

    def figures(self, today: date) -> dict[str, tuple[int, int]]:
        if self.in_force is None:
            return {name: (0, 0) for name in FIGURES}
        done = self.update_done_on is not None
        return {
            "returned": (int(self.returned), 1),
            "amended": (int(self.amended), 1),
            "authorised": (int(self.in_force in self.authorised), 1),
            "update-on-time": (int(done and self.update_done_on <= self.update_due), 1),
            "update-late": (int(done and self.update_done_on > self.update_due), 1),
            "update-overdue": (int(not done and self.update_due < today), 1),
            "referrer-told": (int(not self.referrer_untold or self.told_on is not None), 1),
            "cancellation-told": (int(self.cancellation_done), int(self.cancelled)),
            "edt-reviewed-on-time": ((int(self.reviewed_on is not None
                                          and self.reviewed_on <= self.review_due), 1)
                                     if self.edt else (0, 0)),
        }


class RecordLife(RuleBasedStateMachine):
    def __init__(self, session):
        super().__init__()
        self.session = session
        team = f"Team {next(TEAMS)}"
        n = team.split()[-1]
        self.sw = make_user(session, f"sw{n}", team=team)
        self.manager = make_user(session, f"mgr{n}", "manager", team=team)
        self.police = make_user(session, f"pol{n}", "partner", agency="police")
        self.team = team
        self.record = None

    @initialize(edt=st.booleans(), referrer_untold=st.booleans(), scheduled=st.booleans())
    def start(self, edt, referrer_untold, scheduled):
        at = discussion_time()
        changes = {}
        if edt:
            changes["header"] = {"led_by": "edt", "concern_at": (at - timedelta(hours=5)).isoformat(),
                                 "discussion_at": at.isoformat()}
        if referrer_untold:
            changes["grounds"] = {"referrer_informed_on": None, "referrer_informed_how": None}
        if scheduled:
            changes["decision"] = {"outcome": "further_strategy"}
            changes["next_steps"] = {"next_discussion_on": str(uk_now().date() + timedelta(days=7))}
        data = dated(at, **changes)
        self.record = lifecycle.create_record(self.session, data=data, team=self.team,
                                              created_by_id=self.sw.id)
        content = self.record.content
        self.expected = Expected(day=at.date(), edt=edt, referrer_untold=referrer_untold,
                                 scheduled=scheduled, update_due=content.update_action.due_date,
                                 review_due=content.header.day_team_review_due)

    # --- the workflow ---------------------------------------------------------------------

    def final(self) -> bool:
        return self.expected.status in ("finalised", "authorised")

    @precondition(lambda self: self.expected.status == "draft")
    @rule(edit=st.sampled_from(["add a task", "reword the analysis"]))
    def save(self, edit):
        data = self.record.content
        if edit == "add a task":
            actions = [*data.actions, data.actions[-1].model_copy(update={
                "description": f"Chase the school ({len(data.actions)})",
                "status": ActionStatus.OPEN})]
            data = data.model_copy(update={"actions": actions})
        else:
            data = data.model_copy(update={"analysis": data.analysis.model_copy(update={
                "risks": f"{data.analysis.risks or ''} Reviewed."})})
        self.record = lifecycle.save_record(self.session, record=self.record, data=data,
                                            expected_revision=self.record.revision)

    @precondition(lambda self: self.expected.status == "draft")
    @rule()
    def finalise(self):
        self.record = lifecycle.finalise_record(self.session, record=self.record,
                                                expected_revision=self.record.revision,
                                                finalised_by=self.sw)
        e = self.expected
        e.status, e.in_force = "finalised", e.version

    @precondition(lambda self: self.expected.status == "finalised")
    @rule()
    def return_it(self):
        self.record = followup.return_record(self.session, self.record, self.manager,
                                             self.record.revision, "Check the dates",
                                             ["factual_error"])
        e = self.expected
        e.status, e.version, e.returned = "draft", e.version + 1, True

    @precondition(lambda self: self.expected.status == "finalised")
    @rule()
    def authorise(self):
        self.record = followup.authorise(self.session, self.record, self.manager,
                                         self.record.revision)
        self.expected.status = "authorised"
        self.expected.authorised.add(self.expected.version)

    @precondition(final)
    @rule()
    def amend(self):
        self.record = followup.amend(self.session, self.record, self.sw, self.record.revision,
                                     "The police officer's role was wrong")
        e = self.expected
        e.status, e.version, e.amended = "draft", e.version + 1, True

    # --- after the meeting ------------------------------------------------------------------

    def _open(self, *kinds) -> list[TrackedAction]:
        return [a for a in self.session.execute(select(TrackedAction).where(
            TrackedAction.record_id == self.record.id,
            TrackedAction.version == self.record.version,
            TrackedAction.status == "open")).scalars() if a.kind in kinds]

    def _day_after_meeting(self, days: int) -> date:
        return min(self.expected.day + timedelta(days=days), uk_now().date())

    @precondition(final)
    @rule(kind=st.sampled_from(["update_agencies", "task", "cancellation_update"]),
          days=st.integers(0, 6))
    def action_done(self, kind, days):
        open_ = self._open(kind)
        if not open_:
            return
        action, on = open_[0], self._day_after_meeting(days)
        self.record = entries.record_action(
            self.session, self.record, self.sw, self.record.revision, entries.ActionProgress(
                position=action.position, outcome="done", note="Done", done_on=on,
                updated=tuple(r.organisation_id for r in self.record.content.distribution),
                how="Phone"))
        if kind == "update_agencies":
            self.expected.update_done_on = on
        elif kind == "cancellation_update":
            self.expected.cancellation_done = True

    @precondition(final)
    @rule(kind=st.sampled_from(["update_agencies", "task"]), days=st.integers(1, 9))
    def action_redated(self, kind, days):
        open_ = self._open(kind)
        if not open_:
            return
        due = uk_now().date() + timedelta(days=days)
        if due == open_[0].due_date:
            return
        self.record = entries.record_action(
            self.session, self.record, self.sw, self.record.revision, entries.ActionProgress(
                position=open_[0].position, outcome="redated", note="Officer on leave",
                due_date=due))
        if kind == "update_agencies":
            self.expected.update_due = due

    @precondition(final)
    @rule()
    def cancel_an_action(self):
        """A task may be cancelled; the action to update all agencies never."""
        fixed = self._open("update_agencies")
        if fixed:
            with pytest.raises(followup.Refused, match="cannot be cancelled"):
                entries.record_action(self.session, self.record, self.sw, self.record.revision,
                                       entries.ActionProgress(position=fixed[0].position,
                                                               outcome="cancelled", note="No"))
        tasks = self._open("task")
        if tasks:
            self.record = entries.record_action(
                self.session, self.record, self.sw, self.record.revision,
                entries.ActionProgress(position=tasks[0].position, outcome="cancelled",
                                        note="No longer needed"))

    @precondition(lambda self: self.final() and self.expected.referrer_untold
                  and self.expected.told_on is None)
    @rule(days=st.integers(0, 4))
    def referrer_told(self, days):
        on = self._day_after_meeting(days)
        self.record = entries.record_referrer_told(
            self.session, self.record, self.sw, self.record.revision,
            {"told_by": "Sam", "told_on": on.isoformat(), "how": "Phone"})
        self.expected.told_on = on

    @precondition(lambda self: self.final() and self.expected.edt
                  and self.expected.reviewed_on is None)
    @rule(days=st.integers(0, 4))
    def edt_review(self, days):
        on = self._day_after_meeting(days)
        self.record = entries.record_edt_review(
            self.session, self.record, self.sw, self.record.revision,
            {"reviewed_by": "Sam", "reviewed_on": on.isoformat(), "checked": "All of it",
             "further_needed": "no"})
        self.expected.reviewed_on = on

    @precondition(lambda self: self.final() and self.expected.scheduled
                  and not self.expected.cancelled)
    @rule()
    def cancel_further_discussion(self):
        self.record = entries.cancel_further_discussion(
            self.session, self.record, self.sw, self.record.revision, "The family moved")
        self.expected.cancelled = True

    @precondition(lambda self: self.expected.in_force is not None)
    @rule()
    def police_open_it(self):
        sending.mark_opened(self.session, self.police, self.record.id, self.expected.in_force)

    # --- after every step -----------------------------------------------------------------

    @invariant()
    def stored_state_is_a_fresh_projection(self):
        if self.record is None:
            return
        self.session.expire_all()
        expected = fresh(self.session, self.record.id)
        assert stored(self.session, self.record.id, expected) == expected

    @invariant()
    def actions_and_receipts_know_whether_they_are_of_the_version_in_force(self):
        if self.record is None:
            return
        self.session.expire_all()
        in_force = self.session.get(StrategyRecord, self.record.id).latest_final_version
        for table in (TrackedAction, RecordReceipt):
            rows = self.session.execute(select(table.version, table.in_force).where(
                table.record_id == self.record.id)).all()
            assert [flag for _, flag in rows] == [version == in_force for version, _ in rows]

    @invariant()
    def the_rows_of_the_version_in_force_are_on_the_lists_day_but_while_amended(self):
        """What `figures.behind` relies on (`Among.by_day`): the live audit's rows of a
        record's version in force carry the date the list sorts it by, unless it is being
        amended (the list then shows the draft)."""
        if self.record is None:
            return
        self.session.expire_all()
        record = self.session.get(StrategyRecord, self.record.id)
        if record.latest_final_version is None or record.status == "draft":
            return
        days = {self.session.get(RecordMeasure, record.id).discussion_on}
        for table in (TrackedAction, RecordReceipt):
            days |= set(self.session.execute(select(table.discussion_on).where(
                table.record_id == record.id, table.in_force)).scalars())
        assert days == {record.sort_at.date()}

    @invariant()
    def the_timeline_names_each_version_once_and_rightly(self):
        if self.record is None:
            return
        entries = self.session.execute(select(FollowUpEntry).where(
            FollowUpEntry.record_id == self.record.id).order_by(FollowUpEntry.id)).scalars()
        started = [e.version for e in entries if e.kind in ("returned", "amended")]
        # Each return or amendment starts the next version number: 2, 3, 4 ...
        assert started == list(range(2, 2 + len(started)))

    @invariant()
    def the_live_audit_counts_what_happened(self):
        if self.record is None:
            return
        today = uk_now().date()
        scope = Scope(start=self.expected.day, end=self.expected.day, team=self.team,
                      today=today)
        counted = {r.figure.id: (r.total.numerator, r.total.denominator)
                   for r in report(self.session, scope, [BY_ID[name] for name in FIGURES])}
        assert counted == self.expected.figures(today)


def test_derived_state_and_figures_follow_from_what_happened(session):
    run_state_machine_as_test(
        lambda: RecordLife(session),
        settings=settings(max_examples=12, stateful_step_count=12, deadline=None,
                          suppress_health_check=list(HealthCheck)))
