"""benchmarks/seed.py writes what the app itself would have: checked here on a small seed
(on SQLite and on PostgreSQL, where rows go in with COPY) against the app's own services."""

import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth import service as auth_service
from app.followup import versions
from app.followup.models import FollowUpEntry, RecordVersion, TrackedAction
from app.followup.service import refresh_read_model
from app.records.models import RecordDistribution, StrategyRecord
from app.requests.models import RequestData, StrategyRequest
from app.sending.models import Notification, RecordReceipt
from tests.conftest import make_user, signed_in

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import seed  # noqa: E402

COUNT = 160
FOLLOW_UP = {"action_done", "action_cancelled", "referrer_told", "edt_review",
             "discussion_cancelled", "authorised"}


@pytest.fixture
def seeded(engine, session):
    # The seed's users made here first, with the suite's one password hash (Argon2 is slow
    # on purpose); the seed finds them and gives the partners their email addresses.
    for username, _, role, agency, team in seed.USERS:
        make_user(session, username, role, agency=agency, team=team)
    return seed.fill(engine, COUNT, batch=80, workers=0, years=3)


def test_seeded_rows_are_what_the_app_writes(seeded, session):
    """One seed (they take a while), each property checked below."""
    _counts_add_up_and_most_records_are_finalised(seeded, session)
    _every_finalised_version_is_snapshotted_sent_and_timed_like_the_app(session)
    _follow_up_comes_after_finalising_and_closed_actions_have_their_entries(session)
    _requests_are_convened_declined_or_waiting(session)
    _the_live_audit_has_a_row_per_record_in_force(session)


def test_the_app_reads_the_seed_as_its_own(seeded, anonymous, session):
    _read_model_matches_what_the_app_derives_after_follow_up(session)
    _the_app_shows_the_seeded_records(anonymous, session)


def _aware(moment: datetime) -> datetime:
    return versions.as_utc(moment)


def _counts_add_up_and_most_records_are_finalised(seeded, session):
    statuses, totals = seeded
    assert sum(statuses.values()) == COUNT == totals["strategy_record"]
    assert set(statuses) == {"draft", "finalised", "authorised"}
    assert 0.55 < (statuses["finalised"] + statuses["authorised"]) / COUNT < 0.85
    for table, model in [("record_version", RecordVersion), ("tracked_action", TrackedAction),
                         ("followup_entry", FollowUpEntry), ("record_receipt", RecordReceipt),
                         ("notification", Notification), ("strategy_request", StrategyRequest)]:
        assert totals[table] > 0
        assert len(session.exec(select(model.id)).all()) == totals[table]


def _every_finalised_version_is_snapshotted_sent_and_timed_like_the_app(session):
    now = datetime.now(UTC)
    records = session.exec(select(StrategyRecord)).scalars().all()
    distribution: dict[int, set[str]] = {}
    for row in session.exec(select(RecordDistribution)).scalars():
        distribution.setdefault(row.record_id, set()).add(row.agency)
    snapshots = {(v.record_id, v.version): v for v in session.exec(select(RecordVersion)).scalars()}
    receipts: dict[tuple[int, int], set[str]] = {}
    for receipt in session.exec(select(RecordReceipt)).scalars():
        receipts.setdefault((receipt.record_id, receipt.version), set()).add(receipt.agency)
        assert _aware(receipt.sent_at) == _aware(snapshots[(receipt.record_id, receipt.version)]
                                                 .finalised_at)
        if receipt.first_opened_at:
            assert _aware(receipt.sent_at) <= _aware(receipt.first_opened_at) <= now
    for record in records:
        if record.status == "draft" and record.latest_final_version is None:
            assert not [k for k in snapshots if k[0] == record.id]
            continue
        final = record.latest_final_version
        assert final == (record.version if record.status != "draft" else record.version - 1)
        snapshot = snapshots[(record.id, final)]
        assert (snapshot.authorised_at is not None) == (record.status == "authorised")
        # Every version finalised went to every agency on the list.
        for (record_id, version) in snapshots:
            if record_id == record.id:
                assert receipts[(record_id, version)] == distribution[record.id]
    # Each agency's user was emailed (social care has none), once per version sent.
    emails = Counter((n.record_id, n.version) for n in session.exec(select(Notification)).scalars())
    assert emails == Counter({key: len(agencies - {"csc"}) for key, agencies in receipts.items()})


def _follow_up_comes_after_finalising_and_closed_actions_have_their_entries(session):
    now = datetime.now(UTC)
    finalised_at = {(v.record_id, v.version): _aware(v.finalised_at)
                    for v in session.exec(select(RecordVersion)).scalars()}
    entries = session.exec(select(FollowUpEntry)).scalars().all()
    for entry in entries:
        assert _aware(entry.at) <= now
        if entry.kind in FOLLOW_UP:
            assert _aware(entry.at) > finalised_at[(entry.record_id, entry.version)]
    closing = Counter((e.record_id, e.version, e.action_position) for e in entries
                      if e.kind in ("action_done", "action_cancelled"))
    for action in session.exec(select(TrackedAction)).scalars():
        closed = closing[(action.record_id, action.version, action.position)]
        if action.closed_at is not None:
            assert action.status in ("done", "cancelled") and closed == 1
        else:
            assert closed == 0
        if action.kind == "update_agencies":
            assert action.status != "cancelled"
    kinds = Counter(entry.kind for entry in entries)
    assert kinds["finalised"] == len(finalised_at) + kinds["returned"]


def _read_model_matches_what_the_app_derives_after_follow_up(session):
    """refresh_read_model (what every follow-up step runs) leaves each record as seeded."""
    records = session.exec(select(StrategyRecord).where(
        StrategyRecord.status != "draft")).scalars().all()
    seeded_columns = {r.id: (r.warnings, r.next_due) for r in records}
    for record in records:
        refresh_read_model(session, record)
    session.expire_all()
    for record in session.exec(select(StrategyRecord).where(
            StrategyRecord.status != "draft")).scalars():
        assert (record.warnings, record.next_due) == seeded_columns[record.id], record.reference
    session.rollback()


def _requests_are_convened_declined_or_waiting(session):
    requests = session.exec(select(StrategyRequest)).scalars().all()
    assert {r.status for r in requests} <= {"convened", "declined", "awaiting"}
    for request in requests:
        RequestData.model_validate(request.data, context={"stored": True})
        if request.status == "convened":
            record = session.get(StrategyRecord, request.record_id)
            assert _aware(request.created_at) < _aware(request.triaged_at) < _aware(
                record.created_at)
        elif request.status == "declined":
            assert request.decline_reason and request.triaged_at and request.record_id is None
        else:
            assert request.triaged_at is None and request.record_id is None


def _the_app_shows_the_seeded_records(anonymous, session):
    manager = auth_service.get_user(session, "bench-manager")
    assert auth_service.get_user(session, "bench-police").email == "bench-police@example.org"
    record = session.exec(select(StrategyRecord).where(
        StrategyRecord.status == "authorised", StrategyRecord.team == "Central")).scalars().first()
    client = signed_in(anonymous, session, manager)
    for url in ("/manager", "/actions", "/requests", f"/strategies/{record.id}"):
        assert client.get(url).status_code == 200, url


def _the_live_audit_has_a_row_per_record_in_force(session):
    """Exactly the records with a finalised version in force are in the live audit, each
    with the row finalising that version writes."""
    from app.reports import store
    from app.reports.models import RecordMeasure
    from app.reports.store import measure_row
    in_force = session.scalars(select(StrategyRecord).where(
        StrategyRecord.latest_final_version.is_not(None))).all()
    rows = {row.record_id: row for row in session.scalars(select(RecordMeasure)).all()}
    assert set(rows) == {record.id for record in in_force}
    for record in in_force[:20]:
        version = versions.snapshot(session, record.id, record.latest_final_version)
        # What happened after the meeting, as the services would read it back.
        after = store._after(session, record.id, record.latest_final_version)
        expected = measure_row(record.id, record.latest_final_version, record.team,
                               versions.version_record(record, version).content, **after)
        # The referrer measure is also met once follow-up tells the referrer.
        if expected["m_referrer_told"] is not None and not record.referrer_feedback_due:
            expected["m_referrer_told"] = True
        stored = rows[record.id].model_dump()
        assert {k: stored[k] for k in expected} == expected
