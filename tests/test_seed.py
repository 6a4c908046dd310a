"""benchmarks/seed.py writes what the app itself would have: checked here on a small seed
(on SQLite and on PostgreSQL, where rows go in with COPY) against the app's own services."""

import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth import service as auth_service
from app.config import get_settings
from app.followup import versions
from app.followup.models import FollowUpEntry, RecordVersion, TrackedAction
from app.followup.service import refresh_read_model
from app.organisations import service as organisations
from app.organisations.models import Organisation
from app.records.models import RecordDistribution, StrategyRecord
from app.records.service import derived_columns
from app.requests.models import RequestData, StrategyRequest
from app.sending.models import Notification, RecordReceipt
from app.sending.service import addresses
from tests.conftest import make_user, signed_in

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import seed  # noqa: E402

COUNT = 160
FOLLOW_UP = {"action_done", "action_cancelled", "referrer_told", "edt_review",
             "discussion_cancelled", "authorised"}


@pytest.fixture
def seeded(engine, session):
    # The seed's users made here first, with the suite's one password hash (Argon2 is slow
    # on purpose), each partner in their organisation (made by the directory's service); the
    # seed finds them and gives the partners their email addresses.
    ids = seed.ensure_organisations(session)
    for username, _, role, organisation, team in seed.USERS:
        make_user(session, username, role, team=team,
                  organisation_id=ids[organisation] if organisation else None)
    return seed.fill(engine, COUNT, batch=80, workers=0, years=3)


def test_seeded_rows_are_what_the_app_writes(seeded, session):
    """One seed (they take a while), each property checked below."""
    _counts_add_up_and_most_records_are_finalised(seeded, session)
    _distribution_names_organisations_as_the_directory_does(session)
    _every_finalised_version_is_snapshotted_sent_and_timed_like_the_app(session)
    _the_outbox_emailed_each_organisation_as_send_version_does(session)
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


def _distribution_names_organisations_as_the_directory_does(session):
    """Each document's recipients are organisations in the directory, named as
    named_recipients names them on every save; its record_distribution rows are what
    derived_columns gives; social care is never a recipient."""
    directory = {o.id: o for o in organisations.every(session)}
    seeded = {name for name, *_ in seed.ORGANISATIONS}
    distribution: dict[int, list[tuple[int, str]]] = {}
    for row in session.exec(select(RecordDistribution)).scalars():
        distribution.setdefault(row.record_id, []).append((row.organisation_id, row.agency))
    records = session.exec(select(StrategyRecord)).scalars().all()
    used = set()
    for record in records:
        content = record.content
        assert organisations.named_recipients(session, content).model_dump() == \
            content.model_dump(), record.reference
        columns = derived_columns(record.reference, content, record.created_at, get_settings())
        assert sorted(distribution.get(record.id, [])) == sorted(columns["distribution"])
        for recipient in content.distribution:
            organisation = directory[recipient.organisation_id]
            assert organisation.name in seeded and recipient.agency.value == organisation.agency
            assert recipient.agency.value != "csc"
            used.add(organisation.name)
    # More than one organisation of a kind: two schools are two organisations.
    assert {"Riverside Primary School", "St Anne's Church of England Academy",
            "Castle Street Surgery", "Parkway Medical Centre"} <= used


def _every_finalised_version_is_snapshotted_sent_and_timed_like_the_app(session):
    now = datetime.now(UTC)
    records = session.exec(select(StrategyRecord)).scalars().all()
    distribution: dict[int, set[tuple[int, str]]] = {}
    for row in session.exec(select(RecordDistribution)).scalars():
        distribution.setdefault(row.record_id, set()).add((row.organisation_id, row.agency))
    snapshots = {(v.record_id, v.version): v for v in session.exec(select(RecordVersion)).scalars()}
    manager = auth_service.get_user(session, "bench-manager")
    receipts: dict[tuple[int, int], set[tuple[int, str]]] = {}
    for receipt in session.exec(select(RecordReceipt)).scalars():
        receipts.setdefault((receipt.record_id, receipt.version), set()).add(
            (receipt.organisation_id, receipt.agency))
        assert _aware(receipt.sent_at) == _aware(snapshots[(receipt.record_id, receipt.version)]
                                                 .finalised_at)
        if receipt.first_opened_at:
            assert _aware(receipt.sent_at) <= _aware(receipt.first_opened_at) <= now
        if receipt.withdrawn_at is not None:  # by a manager, with a reason; unopened since
            assert _aware(receipt.sent_at) < _aware(receipt.withdrawn_at) <= now
            assert receipt.withdrawn_by_id == manager.id and receipt.withdrawn_reason
            for opened in (receipt.first_opened_at, receipt.first_downloaded_at):
                assert opened is None or _aware(opened) <= _aware(receipt.withdrawn_at)
        else:
            assert receipt.withdrawn_by_id is None and receipt.withdrawn_reason is None
    for record in records:
        if record.status == "draft" and record.latest_final_version is None:
            assert not [k for k in snapshots if k[0] == record.id]
            continue
        final = record.latest_final_version
        assert final == (record.version if record.status != "draft" else record.version - 1)
        snapshot = snapshots[(record.id, final)]
        assert (snapshot.authorised_at is not None) == (record.status == "authorised")
        # Every version finalised went to every organisation on the list.
        for (record_id, version) in snapshots:
            if record_id == record.id:
                assert receipts[(record_id, version)] == distribution[record.id]


def _the_outbox_emailed_each_organisation_as_send_version_does(session):
    """Each sending queued a notice to each of an organisation's addresses as the app finds
    them (its own secure address, or each partner user's); a withdrawal told it too."""
    reach = {org: Counter((a.email, a.user_id) for a in found) for org, found in addresses(
        session, [o.id for o in session.exec(select(Organisation)).scalars()]).items()}
    sendings = Counter((e.record_id, e.version) for e in session.exec(select(FollowUpEntry))
                       .scalars() if e.kind == "finalised")
    expected: Counter = Counter()
    for receipt in session.exec(select(RecordReceipt)).scalars():
        key = (receipt.record_id, receipt.version, receipt.organisation_id, receipt.agency)
        for address, n in reach[receipt.organisation_id].items():
            expected[(*key, "sent", *address)] += n * sendings[(receipt.record_id,
                                                               receipt.version)]
            if receipt.withdrawn_at is not None:
                expected[(*key, "withdrawn", *address)] += n
    notifications = session.exec(select(Notification)).scalars().all()
    emails = Counter((n.record_id, n.version, n.organisation_id, n.agency, n.kind, n.email,
                      n.recipient_id) for n in notifications)
    assert emails == expected
    assert all(n.status == "sent" and n.sent_at for n in notifications)
    # Realistic reach: an organisation's own address (no user), several users of one, and
    # an organisation with neither (unreachable: sent, but nobody emailed).
    assert any(n.recipient_id is None for n in notifications)
    assert max(len(found) for found in reach.values()) > 1
    assert any(not found for found in reach.values())


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
    police = auth_service.get_user(session, "bench-police")
    assert police.email == "bench-police@example.org" and police.organisation_id is not None
    assert police.agency == "police"
    record = session.exec(select(StrategyRecord).where(
        StrategyRecord.status == "authorised", StrategyRecord.team == "Central")).scalars().first()
    client = signed_in(anonymous, session, manager)
    for url in ("/manager", "/actions", "/requests", f"/strategies/{record.id}"):
        assert client.get(url).status_code == 200, url
    # A partner reads what was sent to their organisation.
    sent = session.exec(select(RecordReceipt).join(StrategyRecord, (
        StrategyRecord.id == RecordReceipt.record_id) & (
        StrategyRecord.latest_final_version == RecordReceipt.version)).where(
        RecordReceipt.organisation_id == police.organisation_id,
        StrategyRecord.status != "draft", RecordReceipt.withdrawn_at.is_(None))).scalars().first()
    client = signed_in(anonymous, session, police)
    for url in ("/strategies", f"/strategies/{sent.record_id}"):
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
