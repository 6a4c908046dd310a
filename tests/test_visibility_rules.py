"""app/visibility.py asked directly, one rule at a time: which audit-log entries a person reads
(tests/test_who_sees_what.py asks every route the same questions as a person would)."""

from datetime import UTC, datetime

from sqlmodel import select

from app import visibility
from app.auth.models import AuditEvent
from app.followup import lifecycle as service
from tests.builders import record_with
from tests.conftest import make_user


def _entries(session, user) -> set[str]:
    condition = visibility.audit_filter(user)
    query = select(AuditEvent.detail)
    if condition is not None:
        query = query.where(condition)
    return set(session.execute(query).scalars())


def _log(session, detail, user=None, record_id=None) -> None:
    session.add(AuditEvent(at=datetime.now(UTC), user_id=user.id if user else None,
                           username=user.username if user else "someone", action="viewed",
                           record_id=record_id, detail=detail))
    session.commit()


def test_a_manager_reads_their_teams_entries_and_those_about_records_they_may_see(session):
    manager = make_user(session, "mo", "manager", team="North")
    north = make_user(session, "nat", team="North")
    south = make_user(session, "sid", team="South")
    admin = make_user(session, "ada", "admin", team=None)
    north_record = service.create_record(session, data=record_with(), team="North",
                                         created_by_id=north.id)
    south_record = service.create_record(session, data=record_with(), team="South",
                                         created_by_id=south.id)
    _log(session, "the manager signed in", manager)
    _log(session, "a North worker signed in", north)
    _log(session, "a South worker signed in", south)
    _log(session, "the administrator signed in", admin)
    _log(session, "a failed sign-in by no known user")
    _log(session, "South read North's record", south, north_record.id)
    _log(session, "North read South's record", north, south_record.id)
    assert _entries(session, manager) == {
        "the manager signed in", "a North worker signed in", "South read North's record"}
    # The administrator reads every entry.
    assert visibility.audit_filter(admin) is None
    assert len(_entries(session, admin)) == 7


def test_a_manager_in_no_team_reads_only_their_own_entries_about_no_record(session):
    loner = make_user(session, "lee", "manager", team=None)
    other = make_user(session, "oli", "manager", team=None)
    _log(session, "the loner signed in", loner)
    _log(session, "another teamless manager signed in", other)
    _log(session, "a failed sign-in by no known user")
    assert _entries(session, loner) == {"the loner signed in"}
