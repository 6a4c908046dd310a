"""The record page's timeline reads as plain English (issue 19): the right version numbers
after an amendment and after a sent version is returned (a correction, the next version), and
dates written as the rest of the service writes them ("9 December 2026")."""

import re

import pytest

from tests.builders import complete_record, discussion_time
from tests.conftest import as_user, make_user
from tests.html import soup

DAY = discussion_time().date()
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.fixture
def people(session):
    return {"sw": make_user(session, "sam"), "manager": make_user(session, "mo", "manager")}



def _finalise(client, record: dict) -> dict:
    done = client.post(f"/api/strategies/{record['id']}/finalise",
                       json={"revision": record["revision"]})
    assert done.status_code == 200, done.text
    return done.json()


def _timeline(client, record_id: int) -> list[tuple[str, list[str]]]:
    """Each entry's heading and its paragraphs (the "who, when" line left out)."""
    page = soup(client.get(f"/strategies/{record_id}"))
    return [(item.select_one("h3").get_text(" ", strip=True),
             [p.get_text(" ", strip=True) for p in item.select("p")[1:]])
            for item in page.select("#timeline li")]


def test_finalise_amend_once_finalise(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    record = _finalise(sw, sw.post("/api/strategies", json=complete_record()).json())
    amended = sw.post(f"/api/strategies/{record['id']}/amend",
                      json={"revision": record["revision"], "reason": "Wrong date of birth"})
    assert amended.status_code == 200
    _finalise(sw, amended.json())
    assert _timeline(sw, record["id"]) == [
        ("Version 1 finalised", []),
        ("Version 2 started, amending version 1", ["Reason: Wrong date of birth"]),
        ("Version 2 finalised", []),
    ]


def test_finalise_send_return_reads_as_a_correction(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    # Finalising sends it (SEND_ON=finalise) to the police and health visiting.
    record = _finalise(sw, sw.post("/api/strategies", json=complete_record()).json())
    manager = as_user(anonymous, session, people["manager"])
    returned = manager.post(f"/api/strategies/{record['id']}/return",
                            json={"revision": record["revision"], "reasons": ["factual_error"],
                                  "comments": "The school was not asked"})
    assert returned.status_code == 200
    expected = [
        ("Version 1 finalised", []),
        ("Version 1 returned to the author", [
            "Version 2 started as a correction of version 1.",
            "Reasons: A factual error.",
            "Comments: The school was not asked"]),
    ]
    assert _timeline(manager, record["id"]) == expected
    sw = as_user(anonymous, session, people["sw"])
    _finalise(sw, returned.json())
    assert _timeline(sw, record["id"]) == [*expected, ("Version 2 finalised", [])]


def test_a_version_never_sent_is_returned_as_the_next_version(anonymous, session, people,
                                                              settings_env):
    """A finalised version never changes, sent or not: its return starts the next version
    and the timeline says so."""
    settings_env(send_on="authorise")  # finalised but not yet sent to anyone
    sw = as_user(anonymous, session, people["sw"])
    record = _finalise(sw, sw.post("/api/strategies", json=complete_record()).json())
    manager = as_user(anonymous, session, people["manager"])
    returned = manager.post(f"/api/strategies/{record['id']}/return",
                            json={"revision": record["revision"], "reasons": ["other"],
                                  "comments": "Add the school's view"})
    assert (returned.status_code, returned.json()["version"]) == (200, 2)
    assert _timeline(manager, record["id"])[1:] == [
        ("Version 1 returned to the author", ["Version 2 started as a correction of version 1.",
                                              "Reasons: Other.",
                                              "Comments: Add the school's view"])]


def test_follow_up_dates_are_written_out(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    body = complete_record()
    body["grounds"] |= {"referrer_informed_on": None, "referrer_informed_how": None}
    record = _finalise(sw, sw.post("/api/strategies", json=body).json())
    page = soup(sw.get(f"/strategies/{record['id']}/follow-up"))
    revision = page.select_one("#referrer-form input[name=revision]")["value"]
    told = sw.post(f"/strategies/{record['id']}/referrer-told", follow_redirects=False,
                   data={"revision": revision, "told_by": "Sam", "told_on": DAY.isoformat(),
                         "how": "Phone"})
    assert told.status_code == 303
    done = sw.post(f"/strategies/{record['id']}/actions/1", follow_redirects=False,
                   data={"revision": str(int(revision) + 1), "outcome": "done",
                         "note": "Visited", "done_on": DAY.isoformat()})
    assert done.status_code == 303
    timeline = _timeline(sw, record["id"])
    assert timeline[1:] == [
        ("Referrer told the outcome (version 1)",
         [f"Sam told the referrer on {DAY:%-d %B %Y} (Phone)."]),
        ("Action done (version 1)",
         [f"Joint visit: done on {DAY:%-d %B %Y}.", "What was done: Visited"]),
    ]
    page = soup(sw.get(f"/strategies/{record['id']}"))
    assert ISO_DATE.search(page.select_one("#timeline").get_text(" ")) is None
