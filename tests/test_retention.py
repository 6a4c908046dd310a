"""Retention: which records are past it (either side of each boundary), the report, the purge
with its tombstone and audit entry, and the manager's page."""

from argparse import Namespace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlmodel import SQLModel

from app.auth.models import AuditEvent, HeldForm
from app.cli import retention as cli
from app.config import get_settings
from app.domain.schema import StrategyRecordData, uk_now
from app.followup import lifecycle as service
from app.pdf.models import RenderedPdf
from app.records.models import StrategyRecord
from app.requests.models import StrategyRequest
from app.retention import service as retention
from app.retention.models import RecordTombstone
from app.retention.rule import anniversary, years_before
from app.sending.link_models import LinkCode, LinkSession, RecipientLink
from app.sending.models import RecordReceipt
from tests.builders import complete_record
from tests.conftest import make_user, signed_in
from tests.html import soup

BORN = date(2001, 3, 10)
BIRTHDAY = date(2026, 3, 10)  # the 25th


def _record(session, user, children, *, finalise=False, team="Central"):
    body = complete_record() | {"children": children}
    data = StrategyRecordData.model_validate(body)
    record = service.create_record(session, data=data, team=team, created_by_id=user.id)
    if finalise:
        record = service.finalise_record(session, record=record,
                                         expected_revision=record.revision, finalised_by=user)
    return record.id


def _child(key, name, born: str) -> dict:
    """The complete record's child (seen, heard), renamed and born on `born`."""
    return complete_record()["children"][0] | {"key": key, "name": name, "date_of_birth": born}


def _changed(session, record_id, at: datetime) -> None:
    session.execute(update(StrategyRecord).where(StrategyRecord.id == record_id)
                    .values(updated_at=at))
    session.commit()


def _due(session, today) -> list[str]:
    return [row.reference for row in retention.all_due(session, get_settings(), today)]


def _reference(session, record_id) -> str:
    return session.get(StrategyRecord, record_id).reference


def test_birthdays_and_the_day_before_them_on_29_february():
    assert anniversary(date(2004, 2, 29), 25) == date(2029, 3, 1)
    assert anniversary(date(2004, 2, 29), 24) == date(2028, 2, 29)
    assert years_before(date(2029, 2, 28), 25) == date(2004, 2, 28)
    assert years_before(date(2028, 2, 29), 25) == date(2003, 2, 28)
    assert years_before(date(2029, 3, 1), 25) == date(2004, 3, 1)  # 29 Feb 2004 is before it


def test_the_youngest_childs_25th_birthday_the_day_before_on_and_after(session):
    sw = make_user(session, "sam")
    older = {"key": "a", "name": "Ann", "date_of_birth": "1999-01-01"}
    record = _record(session, sw, [older, {"key": "b", "name": "Ben",
                                           "date_of_birth": BORN.isoformat()}])
    reference = _reference(session, record)
    assert _due(session, BIRTHDAY - timedelta(days=1)) == []
    assert _due(session, BIRTHDAY) == [reference]
    assert _due(session, BIRTHDAY + timedelta(days=1)) == [reference]
    row = retention.due_rows(session, get_settings(), BIRTHDAY)[0]
    assert retention.row_due_on(row, get_settings()) == BIRTHDAY


def test_an_unborn_child_counts_from_the_expected_date_plus_the_latest_a_birth_runs(session):
    sw = make_user(session, "sam")
    edd = uk_now().date() + timedelta(days=60)  # counted as born 5 weeks later (45 weeks)
    _record(session, sw, [{"key": "u", "name": "Baby", "unborn": True,
                           "expected_delivery_date": edd.isoformat(), "gestation_weeks": 30}])
    due = anniversary(edd + timedelta(weeks=5), 25)
    assert _due(session, due - timedelta(days=1)) == []
    assert len(_due(session, due)) == 1


def test_an_unknown_date_of_birth_keeps_the_record_26_years_after_its_last_change(session):
    sw = make_user(session, "sam")
    known = _record(session, sw, [{"key": "a", "name": "Ann", "date_of_birth": "2001-03-10"},
                                  {"key": "b", "name": "No date"}])
    nobody = _record(session, sw, [])
    # 23:30 in London on 9 March 2000 (UTC+0 in March): that is the day it last changed.
    for record in (known, nobody):
        _changed(session, record, datetime(2000, 3, 9, 23, 30, tzinfo=UTC))
    day = date(2026, 3, 9)  # 26 years on; Ann's 25th birthday is the day after
    assert _due(session, day - timedelta(days=1)) == []
    assert _due(session, day) == [_reference(session, nobody)]
    assert _due(session, day + timedelta(days=1)) == sorted(
        [_reference(session, known), _reference(session, nobody)])


def test_n_years_after_the_last_change_on_the_uk_day(session, settings_env):
    settings_env(retention_rule="after_last_change", retention_years_after_last_change=6)
    sw = make_user(session, "sam")
    record = _record(session, sw, [{"key": "a", "name": "Ann", "date_of_birth": "2020-01-01"}])
    # 23:30 UTC on 30 June 2020 is 00:30 on 1 July in London (summer time).
    _changed(session, record, datetime(2020, 6, 30, 23, 30, tzinfo=UTC))
    assert _due(session, date(2026, 6, 30)) == []
    assert _due(session, date(2026, 7, 1)) == [_reference(session, record)]
    assert _due(session, date(2026, 7, 2)) == [_reference(session, record)]


def test_later_of_both_waits_for_both(session, settings_env):
    settings_env(retention_rule="later_of_both", retention_years_after_last_change=30)
    sw = make_user(session, "sam")
    record = _record(session, sw, [{"key": "a", "name": "Ann", "date_of_birth": "2001-03-10"}])
    _changed(session, record, datetime(2000, 5, 1, 12, tzinfo=UTC))
    assert _due(session, date(2030, 4, 30)) == []  # the birthday passed, 30 years have not
    assert len(_due(session, date(2030, 5, 1))) == 1


def test_a_record_not_yet_projected_is_never_due(session):
    sw = make_user(session, "sam")
    record = _record(session, sw, [])
    session.execute(update(StrategyRecord).where(StrategyRecord.id == record)
                    .values(youngest_born=None, born_unknown=None))
    session.commit()
    assert _due(session, date(2200, 1, 1)) == []


def test_the_report_lists_what_is_due_and_deletes_nothing(session):
    sw = make_user(session, "sam")
    record = _record(session, sw, [{"key": "b", "name": "Ben", "date_of_birth": "2001-03-10"}])
    out = cli.run(Namespace(action="report"), today=BIRTHDAY)
    lines = out.splitlines()
    assert lines[0].startswith("Kept until the youngest child's 25th birthday")
    assert lines[2].split("\t")[0] == _reference(session, record)
    assert lines[2].split("\t")[4:] == ["2001-03-10", "2026-03-10"]
    assert lines[-1] == "1 record(s) past retention on 2026-03-10."
    assert session.get(StrategyRecord, record) is not None


def _everything_about(session, record_id, user):
    """Rows in every table that refers to a record: a stored PDF, a personal link with its
    code and session, the request it was convened from, a held form."""
    receipt = session.execute(select(RecordReceipt).where(
        RecordReceipt.record_id == record_id)).scalars().first()
    now = datetime.now(UTC)
    session.add(RenderedPdf(record_id=record_id, version=1, variant="record", etag="x",
                            content=b"%PDF", created_at=now))
    link = RecipientLink(receipt_id=receipt.id, record_id=record_id, version=1,
                         organisation_id=receipt.organisation_id, name="Ann", email="a@x.org",
                         sent_at=now, expires_at=now)
    session.add(link)
    session.flush()
    session.add(LinkCode(link_id=link.id, requested_at=now))
    session.add(LinkSession(token_hash=f"t{record_id}", link_id=link.id, created_at=now,
                            expires_at=now))
    session.add(StrategyRequest(agency="school", created_by_id=user.id, created_at=now,
                                status="convened", data={}, record_id=record_id))
    session.add(HeldForm(token_hash=f"h{record_id}", user_id=user.id,
                         path=f"/strategies/{record_id}/sections/children", values={},
                         created_at=now))
    session.commit()


def _rows_about(session, record_id) -> dict[str, int]:
    found = {}
    for table in SQLModel.metadata.sorted_tables:
        if "record_id" in table.c and table.name not in ("audit_event", "record_tombstone"):
            found[table.name] = session.execute(select(func.count()).select_from(table).where(
                table.c.record_id == record_id)).scalar_one()
    found["link_code"] = session.execute(select(func.count()).select_from(LinkCode)).scalar_one()
    found["link_session"] = session.execute(
        select(func.count()).select_from(LinkSession)).scalar_one()
    found["held_form"] = session.execute(select(func.count()).select_from(HeldForm)).scalar_one()
    return found


def test_purge_deletes_every_row_about_the_record_and_leaves_a_tombstone(session, capsys):
    sw = make_user(session, "sam")
    manager = make_user(session, "mo", "manager")
    make_user(session, "pc", "partner", agency="police", email="pc@example.org")  # is notified
    old = _record(session, sw, [_child("b", "Ben", "2001-03-10")], finalise=True)
    kept = _record(session, sw, [_child("c", "Cy", "2001-03-11")], finalise=True)
    _everything_about(session, old, sw)
    reference, kept_reference = _reference(session, old), _reference(session, kept)
    before = _rows_about(session, old)
    assert before["record_version"] == 1 and before["notification"] >= 1
    assert before["record_receipt"] >= 1 and before["followup_entry"] >= 1
    assert before["rendered_pdf"] == before["recipient_link"] == before["strategy_request"] == 1

    with pytest.raises(SystemExit) as refused:
        cli.run(Namespace(action="purge", approve=False, by="mo"), today=BIRTHDAY)
    assert refused.value.code == 2
    with pytest.raises(SystemExit):
        cli.run(Namespace(action="purge", approve=True, by="sam"), today=BIRTHDAY)
    assert "not a manager or an administrator" in capsys.readouterr().err
    assert session.get(StrategyRecord, old) is not None

    out = cli.run(Namespace(action="purge", approve=True, by="mo"), today=BIRTHDAY)
    assert out.splitlines() == [reference, "Deleted 1 record(s) past retention, approved by mo."]
    session.expire_all()
    assert session.get(StrategyRecord, old) is None
    assert set(_rows_about(session, old).values()) == {0}
    assert session.get(StrategyRecord, kept) is not None
    assert _rows_about(session, kept)["record_version"] == 1
    tombstone = session.execute(select(RecordTombstone)).scalar_one()
    assert (tombstone.record_id, tombstone.reference, tombstone.approved_by,
            tombstone.approved_by_id, tombstone.due_on) == (old, reference, "mo", manager.id,
                                                           BIRTHDAY)
    event = session.execute(select(AuditEvent).where(AuditEvent.action == "purged")
                            ).scalar_one()
    assert (event.record_id, event.username) == (old, "mo")
    assert event.detail == f"{reference} deleted after its retention period"
    assert kept_reference not in out


def test_the_managers_page_shows_what_is_due_to_them(session, anonymous, settings_env):
    settings_env(retention_rule="after_last_change", retention_years_after_last_change=1)
    sw = make_user(session, "sam")
    due = _record(session, sw, [{"key": "b", "name": "Ben", "date_of_birth": "2001-03-10"}])
    _record(session, sw, [{"key": "c", "name": "Cy"}])  # changed today: not due
    north = _record(session, sw, [], team="North")
    for record in (due, north):
        _changed(session, record, datetime.now(UTC) - timedelta(days=800))
    page = signed_in(anonymous, session, make_user(session, "mo", "manager")).get("/retention")
    assert page.status_code == 200
    html = soup(page)
    assert [a.get_text() for a in html.select("#due tbody a")] == [_reference(session, due)]
    assert html.select_one("#rule").get_text() == \
        "Kept for 1 years after the record last changed."
    assert "1 record you may see is past retention" in html.select_one("#due-count").get_text()
    assert signed_in(anonymous, session, sw).get("/retention").status_code == 403
