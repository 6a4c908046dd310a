"""Separation of duties by identity: a manager who chaired, minuted, took part in, started,
saved or finalised the version may not authorise it; the chair, minute-taker and social-care
participants are chosen from the service's users (app/records/staff.py), compared by id
(app/followup/separation.py), with names compared only where no id was recorded."""

import pytest
from sqlmodel import select

from app.auth.roles import RECORDERS
from app.followup.models import FollowUpEntry, RecordVersion
from app.records import staff
from app.records.models import StrategyRecord
from tests.builders import api_record, complete_record
from tests.conftest import as_user, make_user, signed_in
from tests.html import error_summary, form_data, post_section, replaced, section_page, soup, start

REFUSAL = "You {}, so another manager must authorise it"


@pytest.fixture
def people(session):
    def person(username, role, name, **kwargs):
        user = make_user(session, username, role, **kwargs)
        user.display_name = name
        session.add(user)
        session.commit()
        session.refresh(user)
        return user

    return {
        "sw": person("sam", "social_worker", "Sam Worker"),
        "priya": person("priya", "manager", "Priya Shah"),
        "mo": person("mo", "manager", "Mo Khan"),
        "police": person("pc", "partner", "PC Plod", agency="police"),
    }



def _body(header=None, participants=None) -> dict:
    """complete_record, chaired by Jo Bell and without its typed "Priya Shah" participant
    unless told otherwise: nobody here took part by name."""
    body = complete_record()
    body["header"] |= {"chair": "Jo Bell", **(header or {})}
    body["participants"] = _no_priya_by_name() if participants is None else participants
    return body


def _created(client, body) -> dict:
    created = client.post("/api/strategies", json=body)
    assert created.status_code == 201, created.text
    return created.json()


def _finalise(client, record: dict) -> dict:
    done = client.post(f"/api/strategies/{record['id']}/finalise",
                       json={"revision": record["revision"]})
    assert done.status_code == 200, done.text
    return done.json()


def _authorise(client, record: dict):
    return client.post(f"/api/strategies/{record['id']}/authorise",
                       json={"revision": record["revision"]})


def _refused(answer, how: str) -> None:
    assert answer.status_code == 409, answer.text
    assert answer.json()["detail"] == REFUSAL.format(how)


def _no_priya_by_name() -> list[dict]:
    """complete_record's participants, without the typed "Priya Shah" row."""
    return [p for p in complete_record()["participants"] if p["name"] != "Priya Shah"]


# --- chosen by id: refused however the name was written --------------------------------------


@pytest.mark.parametrize("name_then", ["Ms P. Shah, Team Manager", "Shah, Priya (TM)",
                                       "Priya  Shah"])
def test_the_chosen_chair_is_refused_whatever_their_name_reads(anonymous, session, people,
                                                              name_then):
    # The chair's name is filled in from her user as it was then; she was renamed since.
    priya = people["priya"]
    priya.display_name = name_then
    session.add(priya)
    session.commit()
    sw = as_user(anonymous, session, people["sw"])
    record = _created(sw, _body({"chair_user_id": priya.id, "chair": None}))
    assert record["header"]["chair"] == name_then
    record = _finalise(sw, record)
    priya.display_name = "Priya Shah"
    session.add(priya)
    session.commit()
    _refused(_authorise(as_user(anonymous, session, priya), record), "chaired the discussion")
    assert session.get(StrategyRecord, record["id"]).status == "finalised"


def test_a_namesake_of_the_chosen_chair_may_authorise(anonymous, session, people):
    other = make_user(session, "priya2", "manager")
    other.display_name = "Priya Shah"
    session.add(other)
    session.commit()
    sw = as_user(anonymous, session, people["sw"])
    record = _finalise(sw, _created(sw, _body({"chair_user_id": people["priya"].id})))
    answer = _authorise(as_user(anonymous, session, other), record)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "authorised"


def test_the_chosen_minute_taker_is_refused(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    record = _finalise(sw, _created(sw, _body({"minute_taker_user_id": people["mo"].id})))
    assert record["header"]["minute_taker"] == "Mo Khan"
    _refused(_authorise(as_user(anonymous, session, people["mo"]), record), "took the minutes")


def test_a_minute_taker_typed_by_name_is_refused_like_a_chosen_one(anonymous, session, people):
    """A minute-taker typed in (not chosen from the list) who is a manager is still the
    minute-taker: matched by every word of their name."""
    sw = as_user(anonymous, session, people["sw"])
    record = _finalise(sw, _created(sw, _body({"minute_taker": "Mo Khan (Team Manager)"})))
    assert record["header"]["minute_taker_user_id"] is None
    _refused(_authorise(as_user(anonymous, session, people["mo"]), record), "took the minutes")
    assert session.get(StrategyRecord, record["id"]).status == "finalised"


def test_a_manager_chosen_as_a_participant_is_refused(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    participants = [*complete_record()["participants"],
                    {"user_id": people["mo"].id, "role": "Team Manager", "mode": "video",
                     "phone": "01632 960 777"}]
    record = _finalise(sw, _created(sw, _body(participants=participants)))
    chosen = record["participants"][-1]
    assert (chosen["user_id"], chosen["name"], chosen["agency"]) == (
        people["mo"].id, "Mo Khan", "csc")
    _refused(_authorise(as_user(anonymous, session, people["mo"]), record),
             "took part in the discussion")


# --- who started, saved and finalised the version ---------------------------------------------


def test_the_manager_who_saved_the_draft_is_refused(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    record = _created(sw, _body())
    mo = as_user(anonymous, session, people["mo"])
    body = {**_body(), "revision": record["revision"]}
    body["analysis"]["risks"] = "Checked by the team manager"
    saved = mo.put(f"/api/strategies/{record['id']}", json=body)
    assert saved.status_code == 200, saved.text
    record = _finalise(as_user(anonymous, session, people["sw"]), saved.json())
    _refused(_authorise(as_user(anonymous, session, people["mo"]), record), "edited the record")


def test_the_manager_who_saved_a_section_page_is_refused(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    record = _created(sw, _body())
    mo = as_user(anonymous, session, people["mo"])
    page = section_page(mo, record["id"], "analysis")
    pairs = replaced(form_data(page), {"analysis-risks": "Checked by the team manager"})
    assert post_section(mo, record["id"], "analysis", pairs).status_code == 303
    sw = as_user(anonymous, session, people["sw"])
    record = _finalise(sw, api_record(sw, record["id"]))
    _refused(_authorise(as_user(anonymous, session, people["mo"]), record), "edited the record")


def test_the_manager_who_finalised_is_refused(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    record = _created(sw, _body())
    record = _finalise(as_user(anonymous, session, people["mo"]), record)
    _refused(_authorise(as_user(anonymous, session, people["mo"]), record), "finalised the record")


def test_the_manager_who_started_the_record_is_refused(anonymous, session, people):
    mo = as_user(anonymous, session, people["mo"])
    record = _created(mo, _body())
    record = _finalise(as_user(anonymous, session, people["sw"]), record)
    _refused(_authorise(as_user(anonymous, session, people["mo"]), record), "started the record")


def test_the_manager_who_started_an_amendment_is_refused(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    record = _finalise(sw, _created(sw, _body()))
    mo = as_user(anonymous, session, people["mo"])
    authorised = _authorise(mo, record)
    assert authorised.status_code == 200, authorised.text
    amended = mo.post(f"/api/strategies/{record['id']}/amend",
                      json={"revision": authorised.json()["revision"],
                            "reason": "The child's date of birth was wrong"})
    assert amended.status_code == 200, amended.text
    record = _finalise(as_user(anonymous, session, people["sw"]), amended.json())
    assert record["version"] == 2
    entry = session.exec(select(FollowUpEntry).where(FollowUpEntry.kind == "amended")).one()
    assert (entry.version, entry.details["amends"], entry.by_id) == (2, 1, people["mo"].id)
    _refused(_authorise(as_user(anonymous, session, people["mo"]), record),
             "started this amendment")


def test_saving_an_earlier_version_only_does_not_refuse(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    record = _created(sw, _body())
    mo = as_user(anonymous, session, people["mo"])
    saved = mo.put(f"/api/strategies/{record['id']}",
                   json={**_body(),
                         "revision": record["revision"]})
    assert saved.status_code == 200, saved.text
    sw = as_user(anonymous, session, people["sw"])
    record = _finalise(sw, saved.json())
    priya = as_user(anonymous, session, people["priya"])
    authorised = _authorise(priya, record)
    assert authorised.status_code == 200, authorised.text
    amended = as_user(anonymous, session, people["sw"]).post(
        f"/api/strategies/{record['id']}/amend",
        json={"revision": authorised.json()["revision"], "reason": "A typo"})
    assert amended.status_code == 200, amended.text
    record = _finalise(as_user(anonymous, session, people["sw"]), amended.json())
    answer = _authorise(as_user(anonymous, session, people["mo"]), record)
    assert answer.status_code == 200, answer.text
    snapshot = session.exec(select(RecordVersion).where(RecordVersion.version == 2)).one()
    assert snapshot.authorised_by_name == "Mo Khan"


def test_an_unrelated_manager_may_authorise(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    record = _finalise(sw, _created(sw, _body(
        {"chair_user_id": people["priya"].id, "minute_taker_user_id": people["sw"].id})))
    answer = _authorise(as_user(anonymous, session, people["mo"]), record)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "authorised"


def test_the_setting_lets_a_manager_who_took_part_authorise(anonymous, session, people,
                                                            settings_env):
    sw = as_user(anonymous, session, people["sw"])
    record = _finalise(sw, _created(sw, _body({"chair_user_id": people["mo"].id})))
    mo = as_user(anonymous, session, people["mo"])
    _refused(_authorise(mo, record), "chaired the discussion")
    settings_env(authoriser_may_have_taken_part="true")
    answer = _authorise(mo, record)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "authorised"


# --- records with names typed, not chosen (and records from before ids) ----------------------


@pytest.mark.parametrize("typed", ["Shah, Priya (TM)", "Priya  Shah", "priya shah, Team Manager"])
def test_a_typed_chair_is_compared_by_every_word_of_the_name(anonymous, session, people, typed):
    sw = as_user(anonymous, session, people["sw"])
    record = _finalise(sw, _created(sw, _body({"chair": typed})))
    _refused(_authorise(as_user(anonymous, session, people["priya"]), record),
             "chaired the discussion")


def test_a_typed_social_care_participant_counts_a_partner_namesake_does_not(anonymous, session,
                                                                            people):
    sw = as_user(anonymous, session, people["sw"])
    typed = _finalise(sw, _created(sw, _body(participants=complete_record()["participants"])))
    assert typed["participants"][0] | {"name": "Priya Shah", "agency": "csc"} == (
        typed["participants"][0])
    _refused(_authorise(as_user(anonymous, session, people["priya"]), typed),
             "took part in the discussion")
    police = [{"name": "Priya Shah", "agency": "police", "role": "DC", "mode": "video",
               "phone": "01632 960 888"}, *_no_priya_by_name()]
    sw = as_user(anonymous, session, people["sw"])
    record = _finalise(sw, _created(sw, _body({"chair": "Jo Bell"}, police)))
    answer = _authorise(as_user(anonymous, session, people["priya"]), record)
    assert answer.status_code == 200, answer.text


# --- choosing staff: the API ------------------------------------------------------------------


def test_the_api_round_trips_the_chosen_users(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    record = _created(sw, _body({"chair_user_id": people["priya"].id, "chair": "typed over",
                                 "minute_taker_user_id": people["sw"].id}))
    read = api_record(sw, record["id"])
    assert read["header"]["chair_user_id"] == people["priya"].id
    assert read["header"]["chair"] == "Priya Shah"
    assert (read["header"]["minute_taker_user_id"], read["header"]["minute_taker"]) == (
        people["sw"].id, "Sam Worker")
    # Sent back whole, it saves; clearing the id keeps the name as typed.
    read["header"] |= {"chair_user_id": None, "chair": "Dr A. Outsider"}
    saved = sw.put(f"/api/strategies/{record['id']}", json=read)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["header"]["chair_user_id"], saved.json()["header"]["chair"]) == (
        None, "Dr A. Outsider")


@pytest.mark.parametrize("who", ["unknown", "partner", "inactive"])
def test_the_api_refuses_an_id_that_is_not_active_staff_per_field(anonymous, session, people,
                                                                  who):
    if who == "inactive":
        people["mo"].is_active = False
        session.add(people["mo"])
        session.commit()
    user_id = {"unknown": 987654, "partner": people["police"].id, "inactive": people["mo"].id}[who]
    sw = as_user(anonymous, session, people["sw"])
    participants = [*complete_record()["participants"], {"user_id": user_id, "mode": "video"}]
    answer = sw.post("/api/strategies", json=_body({"chair_user_id": user_id}, participants))
    assert answer.status_code == 422, answer.text
    errors = {tuple(e["loc"]): e["msg"] for e in answer.json()["detail"]}
    assert errors == {
        ("body", "header", "chair_user_id"): staff.CHOOSE["chair_user_id"],
        ("body", "participants", len(participants) - 1, "user_id"): staff.CHOOSE["user_id"],
    }
    assert session.exec(select(StrategyRecord)).all() == []


def test_the_api_refuses_an_id_that_is_not_a_number(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    answer = sw.post("/api/strategies", json=_body({"minute_taker_user_id": "Priya"}))
    assert answer.status_code == 422
    assert [e["loc"] for e in answer.json()["detail"]] == [
        ["body", "header", "minute_taker_user_id"]]


def test_someone_who_left_stays_on_a_draft_that_named_them(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    record = _created(sw, _body({"chair_user_id": people["mo"].id}))
    people["mo"].is_active = False
    session.add(people["mo"])
    session.commit()
    read = api_record(sw, record["id"])
    read["analysis"]["risks"] = "More known now"
    saved = sw.put(f"/api/strategies/{record['id']}", json=read)
    assert saved.status_code == 200, saved.text
    assert saved.json()["header"]["chair"] == "Mo Khan"
    page = section_page(sw, record["id"], "header")
    chosen = page.select_one("#header-chair_user_id option[selected]")
    assert (chosen["value"], chosen.get_text()) == (str(people["mo"].id),
                                                     "Mo Khan (no longer active)")


# --- choosing staff: the form -----------------------------------------------------------------


def test_the_header_form_offers_social_care_staff_and_saves_the_choice(anonymous, session,
                                                                       people):
    people["mo"].is_active = False
    session.add(people["mo"])
    session.commit()
    sw = as_user(anonymous, session, people["sw"])
    record_id = start(sw)
    page = section_page(sw, record_id, "header")
    offered = {o["value"]: o.get_text() for o in page.select("#header-chair_user_id option")}
    assert offered == {"": "Select", str(people["priya"].id): "Priya Shah (Manager, Central)",
                       str(people["sw"].id): "Sam Worker (Social worker, Central)"}
    label = page.select_one("label[for=header-chair_user_id]").get_text(strip=True)
    assert label == "Chair (social-care staff)"
    pairs = replaced(form_data(page), {"header-chair_user_id": str(people["priya"].id),
                                       "header-chair": "P Shah",
                                       "header-minute_taker": "Tom Reed (business support)"})
    assert post_section(sw, record_id, "header", pairs).status_code == 303
    stored = api_record(sw, record_id)["header"]
    assert (stored["chair_user_id"], stored["chair"]) == (people["priya"].id, "Priya Shah")
    assert (stored["minute_taker_user_id"], stored["minute_taker"]) == (
        None, "Tom Reed (business support)")
    page = section_page(sw, record_id, "header")
    assert page.select_one("#header-chair_user_id option[selected]")["value"] == str(
        people["priya"].id)
    assert page.select_one("#header-chair")["value"] == "Priya Shah"


def test_the_participants_form_saves_a_chosen_member_of_staff(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    record_id = start(sw)
    page = section_page(sw, record_id, "participants")
    pairs = replaced(form_data(page), {"participants-0-user_id": str(people["mo"].id),
                                       "participants-0-role": "Team Manager",
                                       "participants-0-mode": "in_person"})
    answer = post_section(sw, record_id, "participants", pairs)
    assert answer.status_code == 303, answer.text
    stored = api_record(sw, record_id)["participants"]
    assert [(p["user_id"], p["name"], p["agency"], p["role"]) for p in stored] == [
        (people["mo"].id, "Mo Khan", "csc", "Team Manager")]
    page = section_page(sw, record_id, "participants")
    assert page.select_one("#participants-0-user_id option[selected]")["value"] == str(
        people["mo"].id)
    # The record page reads the name, never the id.
    record_page = soup(sw.get(f"/strategies/{record_id}"))
    assert "Mo Khan" in record_page.select_one("main").get_text()
    assert "social-care staff" not in record_page.select_one("main").get_text().lower()


def test_a_forged_id_on_the_form_is_an_error_beside_its_field(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    record_id = start(sw)
    page = section_page(sw, record_id, "header")
    pairs = replaced(form_data(page), {"header-chair_user_id": str(people["police"].id),
                                       "header-minute_taker": "Tom Reed"})
    answer = post_section(sw, record_id, "header", pairs)
    assert answer.status_code == 422
    page = soup(answer)
    assert error_summary(page) == {"#header-chair_user_id": staff.CHOOSE["chair_user_id"]}
    assert page.select_one("#header-minute_taker")["value"] == "Tom Reed"
    stored = api_record(sw, record_id)["header"]
    assert (stored["chair_user_id"], stored["minute_taker"]) == (None, None)


def test_the_record_page_shows_the_chosen_chair_by_name_only(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    record = _created(sw, _body({"chair_user_id": people["priya"].id}))
    page = soup(sw.get(f"/strategies/{record['id']}"))
    rows = {dt.get_text(strip=True): dt.find_next("dd").get_text(strip=True)
            for dt in page.select("main dt")}
    assert rows["Chair"] == "Priya Shah"
    assert "Chair (social-care staff)" not in rows


def test_the_staff_roles_are_the_recording_roles():
    assert staff.SOCIAL_CARE_ROLES == {role.value for role in RECORDERS}


def test_autosave_with_a_forged_id_saves_nothing_and_says_which_field(anonymous, session,
                                                                      people):
    sw = as_user(anonymous, session, people["sw"])
    record_id = start(sw)
    page = section_page(sw, record_id, "header")
    pairs = replaced(form_data(page), {"header-minute_taker_user_id": "987654",
                                       "header-chair": "Jo Bell"})
    answer = sw.post(f"/strategies/{record_id}/sections/header/autosave",
                     data=dict(pairs), headers={"HX-Request": "true"})
    assert answer.status_code == 200
    line = soup(answer).select_one("p")
    assert " ".join(line.get_text().split()) == (
        "Not saved: Minute-taker (social-care staff) needs attention: go to the field")
    assert line.select_one("a")["href"] == "#header-minute_taker_user_id"
    assert api_record(sw, record_id)["header"]["chair"] is None


def test_a_conflict_over_the_chair_shows_people_by_name(anonymous, session, people):
    from fastapi.testclient import TestClient

    from app.main import app

    sw = as_user(anonymous, session, people["sw"])
    record_id = start(sw)
    page = section_page(sw, record_id, "header")
    with TestClient(app) as browser:
        other = signed_in(browser, session, make_user(session, "alex"))
        theirs = replaced(form_data(section_page(other, record_id, "header")),
                          {"header-chair_user_id": str(people["priya"].id)})
        assert post_section(other, record_id, "header", theirs).status_code == 303
    mine = replaced(form_data(page), {"header-chair_user_id": str(people["mo"].id)})
    conflict = post_section(sw, record_id, "header", mine)
    assert conflict.status_code == 409
    shown = {}
    for block in soup(conflict).select("#conflict .app-difference"):
        shown[block.select_one("legend").get_text(strip=True)] = (
            block.select_one(".app-version--mine .app-pre").get_text(strip=True),
            block.select_one(".app-version--theirs .app-pre").get_text(strip=True))
    assert shown["Chair (social-care staff)"] == ("Mo Khan (Manager, Central)",
                                                  "Priya Shah (Manager, Central)")


def test_the_pdf_names_the_chosen_chair_and_never_prints_an_id(anonymous, session, people):
    from tests.pdf_helpers import pages_text

    sw = as_user(anonymous, session, people["sw"])
    record = _created(sw, _body({"chair_user_id": people["priya"].id,
                                 "minute_taker_user_id": people["mo"].id}))
    answer = sw.get(f"/strategies/{record['id']}/record.pdf")
    assert answer.status_code == 200
    text = " ".join(pages_text(answer.content))
    assert "Chair Priya Shah" in text and "Minute-taker Mo Khan" in text
    assert "social-care staff" not in text
