"""Times in the hours the clocks change (issue 22, item 4). Times are stored as UK wall-clock
time; 01:00-02:00 on the last Sunday of October happens twice, so the form asks which (BST or
GMT) and the two times are compared in UTC; 01:00-02:00 on the last Sunday of March never
happens and is refused."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from app.domain.fields import utc_of
from app.domain.schema import Header
from tests.builders import api_record
from tests.html import (
    date_fields,
    error_summary,
    form_data,
    post_section,
    replaced,
    section_page,
    shown_values,
    soup,
    start,
)
from tests.pdf_helpers import pages_text

BACK = datetime(2026, 10, 25)  # the clocks went back at 02:00 BST
FORWARD = datetime(2026, 3, 29)  # the clocks went forward at 01:00 GMT


def _errors(**header) -> dict:
    with pytest.raises(ValidationError) as caught:
        Header(**header)
    return {error["loc"]: error["msg"] for error in caught.value.errors()}


def test_a_concern_in_bst_then_a_discussion_in_gmt_is_in_order():
    """00:45 UTC is 01:45 BST; 01:10 UTC is 01:10 GMT: later, though it reads earlier."""
    header = Header(concern_at="2026-10-25T01:45", concern_at_clock="bst",
                    discussion_at="2026-10-25T01:10", discussion_at_clock="gmt")
    assert utc_of(header, "concern_at") == datetime(2026, 10, 25, 0, 45, tzinfo=UTC)
    assert utc_of(header, "discussion_at") == datetime(2026, 10, 25, 1, 10, tzinfo=UTC)


def test_the_same_times_both_in_gmt_are_refused_as_before_the_concern():
    errors = _errors(concern_at="2026-10-25T01:45", concern_at_clock="gmt",
                     discussion_at="2026-10-25T01:10", discussion_at_clock="gmt")
    assert errors == {("discussion_at",):
                      "Value error, The discussion must be on or after the time the concern arose"}


def test_times_sent_with_their_utc_offset_keep_which_hour_they_were():
    header = Header(concern_at="2026-10-25T00:45:00Z", discussion_at="2026-10-25T01:10:00+00:00")
    assert (header.concern_at, header.concern_at_clock) == (datetime(2026, 10, 25, 1, 45), "bst")
    assert (header.discussion_at, header.discussion_at_clock) == (
        datetime(2026, 10, 25, 1, 10), "gmt")


def test_a_time_in_the_repeated_hour_must_say_which():
    errors = _errors(discussion_at="2026-10-25T01:10")
    assert list(errors) == [("discussion_at_clock",)]
    assert "01:10 on 25 October 2026 happened twice" in errors[("discussion_at_clock",)]


def test_a_time_outside_the_repeated_hour_needs_no_clock_and_keeps_none():
    header = Header(discussion_at="2026-10-25T02:10", discussion_at_clock="gmt")
    assert header.discussion_at_clock is None
    assert Header(discussion_at="2026-10-24T01:10").discussion_at_clock is None


def test_a_stored_record_from_before_reads_as_it_was():
    header = Header.model_validate({"discussion_at": "2026-10-25T01:10"}, context={"stored": True})
    assert (header.discussion_at, header.discussion_at_clock) == (
        datetime(2026, 10, 25, 1, 10), None)


@pytest.mark.parametrize("time, refused", [("01:30", True), ("00:59", False), ("02:00", False)])
def test_the_skipped_hour_in_march_is_refused(time, refused):
    at = f"2026-03-29T{time}"
    if refused:
        assert _errors(concern_at=at) == {("concern_at",): (
            "Value error, There was no 01:30 on 29 March 2026: the clocks went forward an hour "
            "at 1am, so 1am to 2am did not happen. Enter the time in BST, as the clock showed "
            "it, like 02:30")}
    else:
        assert Header(concern_at=at).concern_at == datetime.fromisoformat(at)


def _header_form(client, record_id, typed):
    page = section_page(client, record_id, "header")
    return post_section(client, record_id, "header", replaced(form_data(page), typed))


def test_the_form_asks_which_hour_and_keeps_what_was_typed(client):
    record_id = start(client)
    typed = {**date_fields("header-concern_at", BACK, "01:45"),
             **date_fields("header-discussion_at", BACK, "01:10")}
    answer = _header_form(client, record_id, typed)
    assert answer.status_code == 422
    page = soup(answer)
    summary = error_summary(page)
    assert set(summary) == {"#header-concern_at_clock", "#header-discussion_at_clock"}
    assert "happened twice" in summary["#header-discussion_at_clock"]
    shown = shown_values(page)
    assert shown["header-discussion_at-time"] == ["01:10"]
    assert {i["value"] for i in page.select("input[name=header-discussion_at_clock]")} == {
        "bst", "gmt"}

    chosen = {**typed, "header-concern_at_clock": "bst", "header-discussion_at_clock": "gmt"}
    answer = post_section(client, record_id, "header", replaced(form_data(page), chosen))
    assert answer.status_code == 303, answer.text
    header = api_record(client, record_id)["header"]
    assert (header["discussion_at"], header["discussion_at_clock"]) == (
        "2026-10-25T01:10:00", "gmt")
    page = section_page(client, record_id, "header")
    assert page.select_one("#header-discussion_at_clock-gmt").has_attr("checked")


def test_the_form_refuses_the_skipped_hour_beside_the_time(client):
    record_id = start(client)
    answer = _header_form(client, record_id, date_fields("header-concern_at", FORWARD, "01:30"))
    assert answer.status_code == 422
    summary = error_summary(soup(answer))
    assert list(summary) == ["#header-concern_at"]
    assert summary["#header-concern_at"].startswith("There was no 01:30 on 29 March 2026")


def test_the_printed_record_says_which_hour(client):
    from tests.builders import complete_record
    body = complete_record()
    body["header"] |= {"concern_at": "2026-10-25T01:45", "concern_at_clock": "bst",
                       "discussion_at": "2026-10-25T01:10", "discussion_at_clock": "gmt"}
    answer = client.post("/api/strategies", json=body)
    assert answer.status_code == 201, answer.text
    text = " ".join(pages_text(client.get(
        f"/strategies/{answer.json()['id']}/record.pdf").content))
    text = " ".join(text.split())
    assert "25 October 2026 at 01:10 GMT" in text
    assert "25 October 2026 at 01:45 BST" in text
