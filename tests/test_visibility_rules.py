"""app/visibility.py asked directly, one rule at a time: which audit-log entries a person reads
(tests/test_who_sees_what.py asks every route the same questions as a person would)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app import visibility
from app.auth.models import AuditEvent
from app.followup import lifecycle as service
from app.followup import service as followup
from app.records.models import StrategyRecord
from app.sending import service as sending
from app.sending.link_models import RecipientLink
from app.sending.models import RecordReceipt
from tests.builders import STANDARD_ORGANISATIONS, recipients, record_with
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


# Who reads which records and versions, asked of the rule itself (no route: each question is a
# query, so the rule can be checked many times a second). The population: Central's and North's
# records, one led by EDT, and what was sent to the police and a school.

def _sent(session, sw, agencies, team="Central", edt=False):
    """A record of `team`, finalised by `sw` and so sent to `agencies` (version 1)."""
    header = {"led_by": "edt"} if edt else {}
    record = service.create_record(session, data=record_with(
        distribution=recipients(*agencies), header=header), team=team, created_by_id=sw.id)
    return service.finalise_record(session, record=record, expected_revision=None, finalised_by=sw)


def _amended(session, sw, record, agencies, finalise=True):
    """An amendment of `record` sent to `agencies` instead; left a draft unless `finalise`."""
    record = followup.amend(session, record, sw, record.revision, "Sent to the wrong school")
    data = record.content.model_dump()
    data["distribution"] = recipients(*agencies)
    record = service.save_record(session, record=record, expected_revision=None,
                                 data=type(record.content).model_validate(data))
    if finalise:
        record = service.finalise_record(session, record=record, expected_revision=None,
                                         finalised_by=sw)
    return record


@pytest.fixture
def population(session):
    sw = make_user(session, "cass", team="Central")
    north_sw = make_user(session, "nell", team="North")
    records = {
        # Version 1 to the police and the school; version 2 to the police alone.
        "amended": _amended(session, sw, _sent(session, sw, ["police", "school"]), ["police"]),
        # Version 1 to the police; an amendment (version 2) is being drafted.
        "being_amended": _amended(session, sw, _sent(session, sw, ["police"]), ["police"],
                                  finalise=False),
        "school_only": _sent(session, sw, ["school"]),
        # Version 1 to the police; version 2 to the police and the school.
        "resent": _amended(session, sw, _sent(session, sw, ["police"]), ["police", "school"]),
        "withdrawn": _sent(session, sw, ["police"]),
        "north": _sent(session, north_sw, ["police"], team="North"),
        "north_edt": _sent(session, north_sw, ["hospital"], team="North", edt=True),
        "draft": service.create_record(session, data=record_with(), team="Central",
                                       created_by_id=sw.id),
    }
    manager = make_user(session, "max", "manager", team="Central")
    sending.withdraw(session, records["withdrawn"], 1, STANDARD_ORGANISATIONS["police"],
                     "Sent in error", manager)
    return {name: record.id for name, record in records.items()}


def _visible(session, user, filtered=None) -> set[int]:
    """The records the rule lets `user` see; in a list, filtered or not, if `filtered` is given."""
    condition = (visibility.record_filter(user) if filtered is None
                 else visibility.list_filter(user, filtered))
    return set(session.execute(select(StrategyRecord.id).where(condition)).scalars())


def _names(ids, found) -> set[str]:
    return {name for name, record_id in ids.items() if record_id in found}


def test_social_care_see_their_teams_records_and_every_edt_led_one(session, population):
    ids = population
    central = make_user(session, "cat", "manager", team="Central")
    north = make_user(session, "ned", "edt_worker", team="North")
    teamless = make_user(session, "tia", team=None)
    assert _names(ids, _visible(session, central)) == {
        "amended", "being_amended", "school_only", "resent", "withdrawn", "north_edt", "draft"}
    assert _names(ids, _visible(session, north)) == {"north", "north_edt"}
    # Someone in no team sees the EDT-led records alone.
    assert _names(ids, _visible(session, teamless)) == {"north_edt"}
    # A list's filters change nothing for social care: drafts and all.
    assert _visible(session, central, filtered=True) == _visible(session, central)
    assert _visible(session, central, filtered=False) == _visible(session, central)
    # The audit log and the outbox use the same ids.
    assert set(session.execute(visibility.visible_record_ids(north)).scalars()) == {
        ids["north"], ids["north_edt"]}


def test_a_partner_sees_the_records_sent_to_their_organisation_and_not_withdrawn(
        session, population):
    ids = population
    police = make_user(session, "pc", "partner", agency="police")
    school = make_user(session, "head", "partner", agency="school")
    assert _names(ids, _visible(session, police)) == {"amended", "being_amended", "resent",
                                                      "north"}
    assert _names(ids, _visible(session, school)) == {"amended", "school_only", "resent"}
    # Their list, unfiltered, holds them all.
    assert _visible(session, police, filtered=False) == _visible(session, police)
    assert _visible(session, school, filtered=False) == _visible(session, school)
    # A filtered list holds only records whose version in force is theirs: not the one being
    # amended (its draft may say what they were never sent), nor the school's superseded one
    # (though the school holds a version 2 of another record).
    assert _names(ids, _visible(session, police, filtered=True)) == {"amended", "resent", "north"}
    assert _names(ids, _visible(session, school, filtered=True)) == {"school_only", "resent"}
    assert visibility.shown_versions(session, police, list(ids.values())) == {
        ids["amended"]: 2, ids["being_amended"]: 1, ids["resent"]: 2, ids["north"]: 1}
    assert visibility.shown_versions(session, school, [ids["amended"], ids["draft"]]) == {
        ids["amended"]: 1}


def test_no_record_for_the_administrator_the_partnership_or_a_partner_of_no_organisation(
        session, population):
    ids = population
    # The partnership account of someone who was a police partner before, its organisation
    # left on the row: the role decides, not the organisation.
    promoted = make_user(session, "pip", "partnership",
                         organisation_id=STANDARD_ORGANISATIONS["police"])
    for user in (make_user(session, "ada", "admin"), make_user(session, "pat", "partnership"),
                 make_user(session, "nobody", "partner"), promoted):
        assert _visible(session, user) == set()
        assert _visible(session, user, filtered=True) == set()
        assert _visible(session, user, filtered=False) == set()
        assert visibility.sight(session, user, ids["amended"]) is None
        assert visibility.shown_versions(session, user, list(ids.values())) == {}
    # A social worker's list is never given partners' versions.
    assert visibility.shown_versions(session, make_user(session, "sam"), list(ids.values())) == {}


def test_the_sight_of_one_record(session, population):
    ids = population
    sw = make_user(session, "sue", team="Central")
    manager = make_user(session, "mia", "manager", team="Central")
    police = make_user(session, "pc", "partner", agency="police")
    school = make_user(session, "head", "partner", agency="school")
    # Social care: every finalised version, oldest first, and the record as it stands.
    assert visibility.sight(session, sw, ids["amended"]) == visibility.Sight((1, 2), None, True)
    assert visibility.sight(session, manager, ids["being_amended"]) == visibility.Sight(
        (1,), None, True)
    assert visibility.sight(session, sw, ids["draft"]) == visibility.Sight((), None, True)
    assert visibility.sight(session, sw, ids["north"]) is None
    # The record itself comes with the answer (the route reads it no more), for anyone.
    for reader, key in ((sw, "amended"), (manager, "being_amended"), (sw, "draft")):
        seen = visibility.sight(session, reader, ids[key])
        assert isinstance(seen.record, StrategyRecord) and seen.record.id == ids[key]
    # A partner: the versions sent to them, the newest being "the record"; never a change.
    assert visibility.sight(session, police, ids["amended"]) == visibility.Sight((1, 2), 2, False)
    seen = visibility.sight(session, school, ids["amended"])
    assert seen == visibility.Sight((1,), 1, False)
    assert (seen.may_read(1), seen.may_read(2)) == (True, False)
    assert visibility.sight(session, police, ids["withdrawn"]) is None
    assert visibility.sight(session, police, ids["school_only"]) is None


def test_a_partners_sight_says_which_of_their_versions_were_opened_and_downloaded(
        session, population):
    """What lets a later read write no receipt (app/web/access.note_opened): read with the
    versions, per version, for the reader's own organisation only."""
    ids = population
    police = make_user(session, "pc", "partner", agency="police")
    school = make_user(session, "head", "partner", agency="school")
    seen = visibility.sight(session, police, ids["amended"])
    assert (seen.opened, seen.downloaded) == (frozenset(), frozenset())
    assert sending.mark_downloaded(session, police, ids["amended"], 1)  # opened it too
    assert sending.mark_opened(session, police, ids["amended"], 2)
    seen = visibility.sight(session, police, ids["amended"])
    assert (seen.versions, seen.opened, seen.downloaded) == ((1, 2), {1, 2}, {1})
    assert seen.record is not None and seen.record.id == ids["amended"]
    # Another organisation's reads are not theirs.
    seen = visibility.sight(session, school, ids["amended"])
    assert (seen.versions, seen.opened, seen.downloaded) == ((1,), frozenset(), frozenset())


def _link(session, record_id, version, email, **changes):
    receipt = session.execute(select(RecordReceipt).where(
        RecordReceipt.record_id == record_id, RecordReceipt.version == version,
        RecordReceipt.organisation_id == STANDARD_ORGANISATIONS["police"])).scalar_one()
    now = datetime.now(UTC)
    link = RecipientLink(receipt_id=receipt.id, record_id=record_id, version=version,
                         organisation_id=receipt.organisation_id, name="Pat Constable",
                         email=email, sent_at=now, expires_at=now + timedelta(days=30))
    for name, value in changes.items():
        setattr(link, name, value)
    session.add(link)
    session.commit()
    return visibility.LinkReader(link_id=link.id, record_id=record_id, version=version,
                                 organisation_id=receipt.organisation_id, email=email,
                                 name="Pat Constable")


def test_a_link_reader_reads_only_the_versions_sent_to_their_own_address_by_links_in_force(
        session, population):
    ids = population
    reader = _link(session, ids["amended"], 2, "pat@police.example")
    # Version 1 reached someone else; version 2 reached them.
    _link(session, ids["amended"], 1, "desk@police.example")
    assert visibility.reads_receipts(reader) and not visibility.is_partner(reader)
    assert visibility.sight(session, reader, ids["amended"]) == visibility.Sight((2,), 2, False)
    # Another record sent to the same organisation is not theirs to read by this link, even
    # one whose own link reached the same address: each link opens its own record.
    other = _link(session, ids["resent"], 2, "pat@police.example")
    assert visibility.sight(session, other, ids["resent"]) == visibility.Sight((2,), 2, False)
    assert visibility.sight(session, reader, ids["north"]) is None
    assert visibility.sight(session, reader, ids["resent"]) is None
    assert _visible(session, reader) == {ids["amended"]}
    # Revoked, expired or withdrawn: nothing.
    revoked = _link(session, ids["north"], 1, "pat@police.example",
                    revoked_at=datetime.now(UTC))
    assert visibility.sight(session, revoked, ids["north"]) is None
    expired = _link(session, ids["being_amended"], 1, "pat@police.example",
                    expires_at=datetime.now(UTC) - timedelta(minutes=1))
    assert visibility.sight(session, expired, ids["being_amended"]) is None
    withdrawn = _link(session, ids["withdrawn"], 1, "pat@police.example")
    assert visibility.sight(session, withdrawn, ids["withdrawn"]) is None


def test_a_link_expires_at_the_instant_written_on_it(session, population, monkeypatch):
    ids = population
    at = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
    reader = _link(session, ids["north"], 1, "pat@police.example", expires_at=at)
    monkeypatch.setattr(visibility, "utc_now", lambda: at - timedelta(seconds=1))
    assert visibility.sight(session, reader, ids["north"]) == visibility.Sight((1,), 1, False)
    monkeypatch.setattr(visibility, "utc_now", lambda: at)
    assert visibility.sight(session, reader, ids["north"]) is None


def test_only_the_administrator_is_kept_from_childrens_names_beside_records(session):
    assert [visibility.shows_children(make_user(session, name, role)) for name, role in (
        ("ada", "admin"), ("mo", "manager"), ("pat", "partnership"), ("pc", "partner"))] == [
        False, True, True, True]
