"""Every UK wall-clock time a person types, not only the header's, at the hours the clocks change
(issue 22, item 4): when a child was seen, when they were observed and when a participant
contributed outside the discussion. At 01:00-01:59 on the last Sunday of October the form asks
BST or GMT (and nothing else does), at 01:00-01:59 on the last Sunday of March it refuses the
time beside the field, what was typed is kept, and the printed record labels the time."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from app.domain.fields import repeated_hour, utc_of
from app.domain.schema import Child, Participant
from app.records.display import as_text
from app.records.models import StrategyRecord
from tests.builders import api_record, complete_record
from tests.html import (
    date_fields,
    error_summary,
    form_data,
    post_section,
    replaced,
    section_page,
    shown_values,
    soup,
)
from tests.pdf_helpers import pages_text

BACK = datetime(2026, 10, 25)  # the clocks went back at 02:00 BST
FORWARD = datetime(2026, 3, 29)  # the clocks went forward at 01:00 GMT

# (section page, form key, where the API reads it back): each kind of typed time in a row.
FIELDS = [
    ("experience", "children-0-seen_at", ("children", 0, "seen_at")),
    ("experience", "children-0-observed_at", ("children", 0, "observed_at")),
    # The third participant of complete_record() contributed by phone outside the discussion.
    ("participants", "participants-2-contributed_at", ("participants", 2, "contributed_at")),
]
ONCE = ["00:59", "02:00"]  # the minutes either side of each change: an ordinary time
CHANGING = ["01:00", "01:59"]  # the first and last minute of the hour that changes


def _record(client) -> int:
    body = complete_record()
    # A child who cannot speak, so the page asks what was observed and when.
    body["children"][0] |= {"communication": "non_verbal", "observed_care": "Fed on demand",
                            "observed_presentation": "Alert", "observed_interaction": "Settled",
                            "observed_by": "Jo Bell, Social Worker"}
    answer = client.post("/api/strategies", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _typed(client, record_id: int, slug: str, typed: dict):
    page = section_page(client, record_id, slug)
    return post_section(client, record_id, slug, replaced(form_data(page), typed))


def _stored(client, record_id: int, where: tuple) -> tuple:
    found = api_record(client, record_id)
    for step in where[:-1]:
        found = found[step]
    return found[where[-1]], found[f"{where[-1]}_clock"]


@pytest.mark.parametrize("slug, key, where", FIELDS)
@pytest.mark.parametrize("time", ONCE)
def test_a_time_either_side_of_the_repeated_hour_is_not_asked_about(client, slug, key, where,
                                                                     time):
    record_id = _record(client)
    answer = _typed(client, record_id, slug, date_fields(key, BACK, time))
    assert answer.status_code == 303, answer.text
    assert _stored(client, record_id, where) == (f"2026-10-25T{time}:00", None)
    assert not section_page(client, record_id, slug).select(f"input[name={key}_clock]")


@pytest.mark.parametrize("slug, key, where", FIELDS)
@pytest.mark.parametrize("time", CHANGING)
def test_a_time_in_the_repeated_hour_asks_which_and_keeps_what_was_typed(client, slug, key, where,
                                                                         time):
    record_id = _record(client)
    typed = date_fields(key, BACK, time)
    answer = _typed(client, record_id, slug, typed)
    assert answer.status_code == 422
    page = soup(answer)
    assert error_summary(page) == {f"#{key}_clock": (
        f"{time} on 25 October 2026 happened twice, as the clocks went back from 2am to 1am: "
        "select BST (the first time) or GMT (the second)")}
    assert page.select_one(f"#{key}_clock-error") is not None
    shown = shown_values(page)
    assert {part: shown[f"{key}-{part}"] for part in ("day", "month", "year", "time")} == {
        "day": ["25"], "month": ["10"], "year": ["2026"], "time": [time]}
    assert [i["value"] for i in page.select(f"input[name={key}_clock]")] == ["bst", "gmt"]

    answer = post_section(client, record_id, slug,
                          replaced(form_data(page), {**typed, f"{key}_clock": "gmt"}))
    assert answer.status_code == 303, answer.text
    assert _stored(client, record_id, where) == (f"2026-10-25T{time}:00", "gmt")
    assert section_page(client, record_id, slug).select_one(f"#{key}_clock-gmt").has_attr("checked")


@pytest.mark.parametrize("slug, key, where", FIELDS)
@pytest.mark.parametrize("time", ONCE)
def test_a_time_either_side_of_the_skipped_hour_is_kept(client, slug, key, where, time):
    record_id = _record(client)
    answer = _typed(client, record_id, slug, date_fields(key, FORWARD, time))
    assert answer.status_code == 303, answer.text
    assert _stored(client, record_id, where) == (f"2026-03-29T{time}:00", None)


@pytest.mark.parametrize("slug, key, where", FIELDS)
@pytest.mark.parametrize("time", CHANGING)
def test_a_time_in_the_skipped_hour_is_refused_beside_the_field(client, slug, key, where, time):
    record_id = _record(client)
    before = _stored(client, record_id, where)
    answer = _typed(client, record_id, slug, date_fields(key, FORWARD, time))
    assert answer.status_code == 422
    page = soup(answer)
    later = f"02:{time[3:]}"
    assert error_summary(page) == {f"#{key}": (
        f"There was no {time} on 29 March 2026: the clocks went forward an hour at 1am, so 1am "
        f"to 2am did not happen. Enter the time in BST, as the clock showed it, like {later}")}
    assert page.select_one(f"#{key}-error") is not None
    # Only the time box is marked: the date is right.
    assert {box["id"] for box in page.select(f"input[name^={key}-].govuk-input--error")} == {
        f"{key}-time"}
    assert shown_values(page)[f"{key}-time"] == [time]
    assert not page.select(f"input[name={key}_clock]")  # not a repeated hour: nothing to choose
    assert _stored(client, record_id, where) == before  # nothing saved


@pytest.mark.parametrize("day, times", [(BACK, {"00:59": False, "01:00": True, "01:59": True,
                                                "02:00": False}),
                                        (FORWARD, dict.fromkeys(["00:59", "01:00", "01:59", "02:00"],
                                                                False))])
def test_only_the_hour_the_clocks_go_back_is_a_repeated_hour(day, times):
    assert {time: repeated_hour(datetime.fromisoformat(f"{day:%Y-%m-%d}T{time}")) for time in times} == times


@pytest.mark.parametrize("model, name", [(Child, "seen_at"), (Child, "observed_at"),
                                         (Participant, "contributed_at")])
@pytest.mark.parametrize("sent, typed, clock", [
    ("2026-10-24T23:59:00Z", "00:59", None), ("2026-10-25T00:00:00Z", "01:00", "bst"),
    ("2026-10-25T00:59:00Z", "01:59", "bst"), ("2026-10-25T01:00:00Z", "01:00", "gmt"),
    ("2026-10-25T01:59:00Z", "01:59", "gmt"), ("2026-10-25T02:00:00Z", "02:00", None)])
def test_a_time_sent_with_its_offset_keeps_which_hour_it_was(model, name, sent, typed, clock):
    """As an agency's contribution through its link is recorded (app/links/contributions.py)."""
    part = model(**{name: sent})
    assert (f"{getattr(part, name):%H:%M}", getattr(part, f"{name}_clock")) == (typed, clock)
    assert utc_of(part, name) == datetime.fromisoformat(sent).astimezone(UTC)


@pytest.mark.parametrize("model, name", [(Child, "seen_at"), (Participant, "contributed_at")])
def test_the_api_asks_which_hour_as_the_form_does(model, name):
    with pytest.raises(ValidationError) as caught:
        model(**{name: "2026-10-25T01:30"})
    assert [error["loc"] for error in caught.value.errors()] == [(f"{name}_clock",)]
    assert model(**{name: "2026-10-25T01:30", f"{name}_clock": "bst"}).model_dump()[
        f"{name}_clock"] == "bst"


def test_the_printed_record_labels_each_typed_time_in_the_repeated_hour(client):
    body = complete_record()
    body["children"][0] |= {"seen_at": "2026-10-25T01:10", "seen_at_clock": "bst",
                            "observed_at": "2026-10-25T01:20:00+00:00"}  # 01:20 GMT
    body["participants"][2] |= {"contributed_at": "2026-10-25T01:30", "contributed_at_clock": "gmt"}
    answer = client.post("/api/strategies", json=body)
    assert answer.status_code == 201, answer.text
    text = " ".join(" ".join(pages_text(client.get(
        f"/strategies/{answer.json()['id']}/record.pdf").content)).split())
    assert "When the child was seen 25 October 2026 at 01:10 BST" in text
    assert "When they were observed 25 October 2026 at 01:20 GMT" in text
    assert "25 October 2026 at 01:30 GMT" in text  # the participant's "When"
    assert "BST or GMT" not in text  # the choice is part of the time, not a field of its own


def test_a_time_kept_from_before_the_question_was_asked_is_asked_about_on_its_page(client, session):
    """A record saved before the question existed holds 01:30 on 25 October with no clock: its
    page asks, with neither hour chosen, and saving it needs an answer; the children page,
    which does not show that time, saves without asking."""
    body = complete_record()
    body["children"][0] |= {"seen_at": "2026-10-25T01:30", "seen_at_clock": "bst"}
    answer = client.post("/api/strategies", json=body)
    assert answer.status_code == 201, answer.text
    row = session.get(StrategyRecord, answer.json()["id"])
    row.data = {**row.data, "children": [{**row.data["children"][0], "seen_at_clock": None}]}
    session.add(row)
    session.commit()
    page = section_page(client, row.id, "experience")
    assert [(i["value"], i.has_attr("checked"))
            for i in page.select("input[name=children-0-seen_at_clock]")] == [
        ("bst", False), ("gmt", False)]
    assert post_section(client, row.id, "experience", form_data(page)).status_code == 422
    children = section_page(client, row.id, "children")
    answer = post_section(client, row.id, "children", form_data(children))
    assert answer.status_code == 303, error_summary(soup(answer))


@pytest.mark.parametrize("instant, printed", [
    ("2026-10-24T23:59:00Z", "25 October 2026 at 00:59"),
    ("2026-10-25T00:00:00Z", "25 October 2026 at 01:00 BST"),
    ("2026-10-25T00:59:00Z", "25 October 2026 at 01:59 BST"),
    ("2026-10-25T01:00:00Z", "25 October 2026 at 01:00 GMT"),
    ("2026-10-25T01:59:00Z", "25 October 2026 at 01:59 GMT"),
    ("2026-10-25T02:00:00Z", "25 October 2026 at 02:00"),
    ("2026-03-29T01:00:00Z", "29 March 2026 at 02:00")])
def test_an_instant_printed_in_the_repeated_hour_says_which(instant, printed):
    """Finalised, authorised, received ...: stored in UTC, printed as UK time."""
    assert as_text(datetime.fromisoformat(instant)) == printed


def test_a_refused_clock_choice_names_bst_and_gmt_in_capitals():
    from app.records.form_errors import plain_message

    title = "When the child was seen: BST or GMT"
    assert plain_message({"type": "enum", "msg": "bad"}, title) == (
        "Select when the child was seen: BST or GMT from the list")
    assert plain_message({"type": "enum", "msg": "bad"}, "LCS ID") == "Select LCS ID from the list"
    assert plain_message({"type": "enum", "msg": "bad"}, "Outcome") == "Select outcome from the list"
