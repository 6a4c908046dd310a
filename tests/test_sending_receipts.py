"""Receipts: a partner's first opening and download, the New tag, the receipts API, the
"not opened within N working days" flag across a bank holiday, and the manager's counts."""

from datetime import UTC, date, datetime

from sqlalchemy import select, update

from app.auth.models import AuditEvent
from app.config import get_settings
from app.pdf.models import RenderedPdf  # noqa: F401  (the download stores the render)
from app.sending.models import Notification, RecordReceipt
from app.worklists import receipts
from app.worklists.tracker import manager_counts
from tests.builders import finalised_record
from tests.conftest import make_partner, make_user, signed_in
from tests.html import soup

# The summer bank holiday 2026 is Monday 31 August.
FRIDAY_BEFORE = datetime(2026, 8, 28, 13, 0, tzinfo=UTC)


def _receipt(session, record_id, agency):
    session.expire_all()
    return session.execute(select(RecordReceipt).where(
        RecordReceipt.record_id == record_id, RecordReceipt.agency == agency)).scalar_one()


def _new_tags(page) -> dict[str, bool]:
    return {row.select_one("a").get_text(): row.select_one(".app-new") is not None
            for row in page.select("#records tbody tr")}


def test_first_opening_by_a_partner_fills_the_receipt_once_and_clears_new(session, anonymous):
    sw = make_user(session, "sam")
    pc = make_partner(session, "pc", "police", "pc@police.example")
    pc2 = make_partner(session, "pc2", "police", None)
    make_partner(session, "hv", "health_visiting", "hv@nhs.example")
    record = finalised_record(session, sw)

    police = signed_in(anonymous, session, pc)
    assert _new_tags(soup(police.get("/strategies"))) == {record.reference: True}
    assert police.get(f"/strategies/{record.id}").status_code == 200
    opened = _receipt(session, record.id, "police").first_opened_at
    assert opened is not None
    assert _new_tags(soup(police.get("/strategies"))) == {record.reference: False}

    # Another police user opening later changes nothing: the agency's first opening stays.
    assert signed_in(anonymous, session, pc2).get(f"/strategies/{record.id}").status_code == 200
    assert _receipt(session, record.id, "police").first_opened_at == opened
    assert _receipt(session, record.id, "health_visiting").first_opened_at is None
    # Social care opening the record is not an agency's receipt.
    assert signed_in(anonymous, session, sw).get(f"/strategies/{record.id}").status_code == 200
    others = session.execute(select(RecordReceipt).where(
        RecordReceipt.record_id == record.id, RecordReceipt.agency != "police")).scalars().all()
    assert [(r.agency, r.first_opened_at) for r in others] == [("health_visiting", None)]

    events = session.execute(select(AuditEvent.username, AuditEvent.detail).where(
        AuditEvent.action == "receipt_opened")).all()
    assert events == [("pc", f"version 1, first for organisation {pc.organisation_id}")]


def test_first_download_fills_downloaded_and_opened(session, anonymous):
    sw = make_user(session, "sam")
    hv = make_partner(session, "hv", "health_visiting", "hv@nhs.example")
    record = finalised_record(session, sw)
    answer = signed_in(anonymous, session, hv).get(f"/strategies/{record.id}/record.pdf")
    assert answer.status_code == 200
    receipt = _receipt(session, record.id, "health_visiting")
    assert receipt.first_downloaded_at is not None
    assert receipt.first_opened_at is not None
    actions = session.execute(select(AuditEvent.action).where(
        AuditEvent.action.in_(["receipt_opened", "receipt_downloaded"]))
        .order_by(AuditEvent.id)).scalars().all()
    assert actions == ["receipt_opened", "receipt_downloaded"]


def test_receipts_api_for_social_care(session, anonymous):
    sw = make_user(session, "sam")
    pc = make_partner(session, "pc", "police", "pc@police.example")
    record = finalised_record(session, sw)
    session.execute(update(Notification).values(status="sent"))
    session.commit()
    signed_in(anonymous, session, pc).get(f"/strategies/{record.id}")

    body = signed_in(anonymous, session, sw).get(f"/api/strategies/{record.id}/receipts").json()
    by_agency = {row["agency"]: row for row in body}
    assert sorted(by_agency) == ["health_visiting", "police"]
    assert by_agency["police"]["organisation"] == "Police"
    police = by_agency["police"]
    assert (police["version"], police["delivered"], police["unreachable"], police["flagged"]) == (
        1, True, False, False)
    assert police["first_downloaded_at"] is None
    # Times carry their UTC offset, as every time the API gives does.
    assert police["first_opened_at"].endswith("Z") and police["sent_at"].endswith("Z")
    hv = by_agency["health_visiting"]
    assert (hv["delivered"], hv["unreachable"], hv["first_opened_at"]) == (False, True, None)


def test_partners_see_nothing_about_receipts(session, anonymous):
    sw = make_user(session, "sam")
    pc = make_partner(session, "pc", "police", "pc@police.example")
    record = finalised_record(session, sw)
    answer = signed_in(anonymous, session, pc).get(f"/api/strategies/{record.id}/receipts")
    assert answer.status_code == 403
    assert answer.json() == {"detail": "Only social-care staff see receipts"}


def test_open_by_and_the_flag_across_a_bank_holiday(session):
    settings = get_settings()
    # Sent on the Friday before the bank holiday: one working day is Tuesday.
    assert receipts.open_by(FRIDAY_BEFORE, settings) == date(2026, 9, 1)
    # Flagged from Wednesday: receipts sent before Friday's start are late on Tuesday, and
    # those sent before Tuesday's start are late on Wednesday.
    assert receipts.flag_cutoff(date(2026, 9, 1), settings) == datetime(2026, 8, 27, 23, 0,
                                                                         tzinfo=UTC)
    assert receipts.flag_cutoff(date(2026, 9, 2), settings) == datetime(2026, 8, 31, 23, 0,
                                                                         tzinfo=UTC)

    sw = make_user(session, "sam")
    manager = make_user(session, "mo", "manager")
    make_partner(session, "pc", "police", "pc@police.example")
    record = finalised_record(session, sw)
    session.execute(update(RecordReceipt).values(sent_at=FRIDAY_BEFORE))
    session.commit()

    def flagged(today):
        return {r.agency for r in receipts.for_record(session, record, today) if r.flagged}

    assert flagged(date(2026, 8, 31)) == set()  # the bank holiday
    assert flagged(date(2026, 9, 1)) == set()  # Tuesday: still in time
    assert flagged(date(2026, 9, 2)) == {"health_visiting", "police"}
    assert receipts.flag_counts(session, manager, date(2026, 9, 1), 10)[0] == 0
    assert receipts.flag_counts(session, manager, date(2026, 9, 2), 10)[0] == 2

    # The police opened it: no longer flagged, whatever the day.
    session.execute(update(RecordReceipt).where(RecordReceipt.agency == "police")
                    .values(first_opened_at=datetime(2026, 9, 2, 9, 0, tzinfo=UTC)))
    session.commit()
    assert flagged(date(2026, 9, 3)) == {"health_visiting"}
    assert receipts.flag_counts(session, manager, date(2026, 9, 3), 10)[0] == 1


def test_manager_page_shows_agencies_not_opened_and_unreachable(session, anonymous):
    sw = make_user(session, "sam")
    manager = make_user(session, "mo", "manager")
    make_partner(session, "pc", "police", "pc@police.example")
    record = finalised_record(session, sw)
    finalised_record(session, sw)
    # The first record was sent on the Friday before the bank holiday: long unopened by now.
    session.execute(update(RecordReceipt).where(RecordReceipt.record_id == record.id)
                    .values(sent_at=FRIDAY_BEFORE))
    session.commit()

    counts = manager_counts(session, manager)
    # Health visiting has no address and no one with an email, on both records.
    assert (counts.not_opened, counts.unreachable) == (2, 2)
    page = soup(signed_in(anonymous, session, manager).get("/manager"))
    assert page.select_one("#count-not-opened").get_text(" ", strip=True) == (
        "2 agencies that have not opened a record sent to them")
    assert page.select_one("#count-unreachable .app-count__number").get_text() == "2"
    listed = [li.get_text(strip=True) for li in page.select("#unreached li")]
    first, second = record.reference, listed[-1].split(":")[0]
    unreachable = "no one to notify (no address and no user with an email address)"
    # Oldest sending first; within a sending, in the order the receipts were written (by
    # organisation: the standard Police organisation's id comes before Health visiting's).
    assert listed == [
        f"{first}: Police, not opened in time",
        f"{first}: Health visiting, {unreachable}",
        f"{second}: Health visiting, {unreachable}",
    ]
    assert second != first
    # Another team's manager counts none of Central's records.
    north = make_user(session, "nm", "manager", team="North")
    assert (manager_counts(session, north).not_opened,
            manager_counts(session, north).unreachable) == (0, 0)


def test_sent_late_compares_with_the_discussion_in_working_days():
    settings = get_settings()
    # Discussion on the Friday before the bank holiday: sending on Tuesday is in time.
    friday = datetime(2026, 8, 28, 10, 0)
    assert not receipts.sent_late(friday, datetime(2026, 9, 1, 16, 0, tzinfo=UTC), settings)
    assert receipts.sent_late(friday, datetime(2026, 9, 2, 9, 0, tzinfo=UTC), settings)
    assert not receipts.sent_late(None, datetime(2026, 9, 2, 9, 0, tzinfo=UTC), settings)


def test_two_of_an_agencys_people_opening_and_downloading_at_once_record_each_first_once(
        session, anonymous):
    """Both readers' sights say "not yet"; each sends the guarded UPDATE, and only one of each
    lands: one first opening and one first download, each with one audit row."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from fastapi.testclient import TestClient

    from app.main import app

    sw = make_user(session, "sam")
    people = [make_partner(session, name, "police", None) for name in ("pc", "pc2")]
    record = finalised_record(session, sw)
    start = Barrier(2)

    def read(reader, path):
        start.wait()
        return reader.get(path).status_code

    with TestClient(app) as first, TestClient(app) as second:
        readers = [signed_in(first, session, people[0]), signed_in(second, session, people[1])]
        for path in (f"/strategies/{record.id}", f"/strategies/{record.id}/record.pdf"):
            with ThreadPoolExecutor(2) as pool:
                assert list(pool.map(read, readers, [path, path])) == [200, 200]
    receipt = _receipt(session, record.id, "police")
    assert receipt.first_opened_at is not None and receipt.first_downloaded_at is not None
    actions = session.execute(select(AuditEvent.action).where(
        AuditEvent.record_id == record.id, AuditEvent.username.in_(["pc", "pc2"]))).scalars().all()
    assert sorted(actions) == ["downloaded", "downloaded", "receipt_downloaded",
                               "receipt_opened", "viewed", "viewed"]
