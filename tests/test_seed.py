"""benchmarks/seed.py writes what the app itself would have: checked here on a small seed
(on SQLite and on PostgreSQL, where rows go in with COPY) against the app's own services."""

import sys
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth import service as auth_service
from app.config import get_settings
from app.domain.schema import StrategyRecordData, uk_now
from app.followup import facts, projection
from app.followup.measure_table import RecordMeasure
from app.followup.models import FollowUpEntry, RecordVersion, TrackedAction
from app.organisations import service as organisations
from app.organisations.models import Organisation
from app.records.models import RecordDistribution, StrategyRecord
from app.requests.models import RequestData, StrategyRequest
from app.sending.models import Notification, RecordReceipt
from app.sending.service import addresses
from tests.conftest import make_user, signed_in

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import seed  # noqa: E402

COUNT = 160
FOLLOW_UP = {"action_done", "action_cancelled", "action_redated", "referrer_told",
             "edt_review", "discussion_cancelled", "authorised"}


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
    _follow_up_comes_after_finalising_and_names_actions_as_the_app_does(session)
    _a_return_or_an_amendment_starts_the_next_version(session)
    _requests_are_convened_declined_or_waiting(session)


def test_the_app_reads_the_seed_as_its_own(seeded, anonymous, session):
    _everything_derived_is_the_projection_of_what_happened(session)
    _the_app_shows_the_seeded_records(anonymous, session)


def _aware(moment: datetime) -> datetime:
    # SQLite hands stored UTC times back without a zone.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _utc(value):
    """Any datetime in a row, zone-less or not, as the UTC moment it is (compared alike on
    both sides: the list's wall-clock columns are zone-less on both)."""
    if isinstance(value, dict):
        return {k: _utc(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_utc(v) for v in value)
    return _aware(value) if isinstance(value, datetime) else value


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
    named_recipients names them on every save; social care is never a recipient."""
    directory = {o.id: o for o in organisations.every(session)}
    seeded = {name for name, *_ in seed.ORGANISATIONS}
    records = session.exec(select(StrategyRecord)).scalars().all()
    used = set()
    for record in records:
        content = record.content
        assert organisations.named_recipients(session, content).model_dump() == \
            content.model_dump(), record.reference
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
        if record.status != "draft":  # (a version in force while amended may be authorised)
            snapshot = snapshots[(record.id, final)]
            assert (snapshot.authorised_at is not None) == (record.status == "authorised")
        # Every version finalised went to every organisation on the list.
        for (record_id, version) in snapshots:
            if record_id == record.id:
                assert receipts[(record_id, version)] == distribution[record.id]


def _the_outbox_emailed_each_organisation_as_send_version_does(session):
    """Each sending queued a notice to each of an organisation's addresses as the app finds
    them (its own secure address, or each partner user's): a correction to an organisation
    holding an earlier version it still may read, a record to the others; a withdrawal told
    it too."""
    reach = {org: Counter((a.email, a.user_id) for a in found) for org, found in addresses(
        session, [o.id for o in session.exec(select(Organisation)).scalars()]).items()}
    receipts = session.exec(select(RecordReceipt)).scalars().all()
    expected: Counter = Counter()
    for receipt in receipts:
        key = (receipt.record_id, receipt.version, receipt.organisation_id, receipt.agency)
        held = any(r.record_id == receipt.record_id and r.version < receipt.version
                   and r.organisation_id == receipt.organisation_id
                   and (r.withdrawn_at is None or _aware(r.withdrawn_at) > _aware(receipt.sent_at))
                   for r in receipts)
        for address, n in reach[receipt.organisation_id].items():
            expected[(*key, "corrected" if held else "sent", *address)] += n
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


def _follow_up_comes_after_finalising_and_names_actions_as_the_app_does(session):
    """Follow-up is on a finalised version, after it was finalised; progress names its action
    as record_action does (its key, and its position in that version's tracked actions); the
    update-all-agencies action is done for every organisation on the list, never cancelled."""
    now = datetime.now(UTC)
    snapshots = {(v.record_id, v.version): v for v in session.exec(select(RecordVersion)).scalars()}
    positions = {}
    for action in session.exec(select(TrackedAction)).scalars():
        document = snapshots[(action.record_id, action.version)].data
        key = projection.key_of(action, StrategyRecordData.model_validate(
            document, context={"stored": True}))
        positions[(action.record_id, action.version, key)] = action.position
        if action.kind == "update_agencies":
            assert action.status != "cancelled"
    entries = session.exec(select(FollowUpEntry)).scalars().all()
    progress = Counter()
    for entry in entries:
        assert _aware(entry.at) <= now
        if entry.kind in FOLLOW_UP:
            assert _aware(entry.at) > _aware(snapshots[(entry.record_id, entry.version)]
                                             .finalised_at)
        if entry.kind not in projection.PROGRESS:
            continue
        key = tuple(entry.details["key"])
        progress[entry.kind] += 1
        assert positions[(entry.record_id, entry.version, key)] == entry.action_position
        if entry.kind == "action_cancelled":
            assert key != ("update_agencies",) and set(entry.details) == {"key", "action", "note"}
        elif entry.kind == "action_redated":
            assert set(entry.details) == {"key", "action", "note", "due_date"}
        elif key in {("update_agencies",), ("cancellation_update",)}:
            listed = snapshots[(entry.record_id, entry.version)].data["distribution"]
            assert entry.details["updated"] == [
                {"organisation_id": r["organisation_id"], "name": r["name"]} for r in listed]
            assert entry.details["not_updated"] == [] and entry.details["how"] == "Email"
        else:
            assert set(entry.details) == {"key", "action", "note", "done_on"}
    assert progress["action_done"] and progress["action_cancelled"]
    kinds = Counter(entry.kind for entry in entries)
    assert kinds["finalised"] == len(snapshots)  # each version finalised once


def _a_return_or_an_amendment_starts_the_next_version(session):
    """Returned (a correction) or amended, the next version is a draft until it is finalised;
    the earlier version stays, with its receipts, in force until then."""
    snapshots = {(v.record_id, v.version): v for v in session.exec(select(RecordVersion)).scalars()}
    sent = {(r.record_id, r.version) for r in session.exec(select(RecordReceipt)).scalars()}
    for entry in session.exec(select(FollowUpEntry).where(
            FollowUpEntry.kind.in_(("returned", "amended")))).scalars():
        record = session.get(StrategyRecord, entry.record_id)
        earlier = snapshots[(record.id, entry.version - 1)]
        assert _aware(earlier.finalised_at) < _aware(entry.at)
        assert (record.id, entry.version - 1) in sent
        later = snapshots.get((record.id, entry.version))
        if later is None:
            assert (record.status, record.version) == ("draft", entry.version)
            assert record.latest_final_version == entry.version - 1
        else:
            assert _aware(entry.at) < _aware(later.finalised_at)
            assert earlier.superseded_by == entry.version
        if entry.kind == "returned":
            assert earlier.authorised_at is None and entry.details["reasons"]
        else:
            assert entry.details["amends"] == entry.version - 1


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


def _everything_derived_is_the_projection_of_what_happened(session):
    """For every seeded record, what is stored beside its facts (the list's and the review's
    columns, the distribution, every version's tracked actions, the live audit's row, which
    version superseded which, the receipts' discussion day) is what the app's projection
    derives from those facts, as every service step stores it."""
    settings, today = get_settings(), uk_now().date()
    records = session.scalars(select(StrategyRecord.id).order_by(StrategyRecord.id)).all()
    assert len(records) == COUNT
    for record_id in records:
        expected = projection.derive(facts.load(session, record_id), settings, today)
        stored = _stored(session, record_id, list(expected.columns))
        assert stored == _utc({
            "columns": expected.columns, "distribution": sorted(expected.distribution),
            "actions": [{k: v for k, v in row.items() if k != "key"}
                        for row in expected.actions],
            "measure": expected.measure, "superseded": expected.superseded,
            "receipt_days": {version: {day} for version, day in expected.receipt_days.items()
                             if version in stored["receipt_days"]}}), record_id


def _stored(session, record_id: int, columns: list[str]) -> dict:
    record = session.execute(select(*(getattr(StrategyRecord, c) for c in columns)).where(
        StrategyRecord.id == record_id)).one()
    measure = session.get(RecordMeasure, record_id)
    days: dict[int, set[date | None]] = {}
    for receipt in session.scalars(select(RecordReceipt).where(
            RecordReceipt.record_id == record_id)):
        days.setdefault(receipt.version, set()).add(receipt.discussion_on)
    return _utc({
        "columns": dict(record._mapping),
        "distribution": sorted(session.execute(select(
            RecordDistribution.organisation_id, RecordDistribution.agency).where(
            RecordDistribution.record_id == record_id)).all()),
        "actions": [action.model_dump(exclude={"id"}) for action in session.scalars(
            select(TrackedAction).where(TrackedAction.record_id == record_id)
            .order_by(TrackedAction.version, TrackedAction.position))],
        "measure": measure.model_dump() if measure else None,
        "superseded": {v.version: (v.superseded_by, v.superseded_at) for v in session.scalars(
            select(RecordVersion).where(RecordVersion.record_id == record_id))},
        "receipt_days": days})
