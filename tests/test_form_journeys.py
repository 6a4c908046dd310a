"""Recording a discussion through the HTML pages, with JavaScript off and with htmx."""

from datetime import timedelta

from app.records.schema import uk_now
from tests.builders import complete_record
from tests.html import error_summary, form_data, soup

SECTION_IDS = ["header", "children", "grounds", "injuries", "participants", "agency-positions",
               "experience", "analysis", "decision", "actions", "next-steps", "distribution"]


def _start(client) -> int:
    answer = client.post("/strategies", follow_redirects=False)
    assert answer.status_code == 303
    return int(answer.headers["location"].rsplit("/", 1)[1])


def _section(client, record_id: int, slug: str):
    answer = client.get(f"/strategies/{record_id}/sections/{slug}")
    assert answer.status_code == 200
    return soup(answer)


def _post(client, record_id, slug, pairs, **kwargs):
    return client.post(f"/strategies/{record_id}/sections/{slug}", data=_multi(pairs),
                       follow_redirects=False, **kwargs)


def _revision(client, record_id) -> str:
    return str(client.get(f"/api/strategies/{record_id}").json()["revision"])


def _multi(pairs):
    # httpx takes repeated keys as a list value.
    data: dict = {}
    for key, value in pairs:
        data.setdefault(key, []).append(value)
    return data


def _set(pairs, **changes):
    keys = {k.replace("__", "-") for k in changes}
    kept = [(k, v) for k, v in pairs if k not in keys]
    return kept + [(k.replace("__", "-"), v) for k, v in changes.items()]


def _statuses(client, record_id):
    page = soup(client.get(f"/strategies/{record_id}"))
    return {li["id"]: li.select_one(".govuk-task-list__status").get_text(strip=True)
            for li in page.select("#task-list li")}


def _with_date(pairs, key, day, month, year, time=None):
    """The form's pairs with one date (and time) typed in, as a browser would post them."""
    typed = {f"{key}-day": str(day), f"{key}-month": str(month), f"{key}-year": str(year)}
    if time is not None:
        typed[f"{key}-time"] = time
    return [(k, v) for k, v in pairs if k not in typed] + list(typed.items())


def test_new_record_shows_every_section_in_the_task_list(client):
    record_id = _start(client)
    statuses = _statuses(client, record_id)
    assert list(statuses) == SECTION_IDS
    assert statuses["header"] == "Not started"
    assert statuses["actions"] == "In progress"  # the update-all-agencies action awaits its date


def test_saving_the_header_changes_its_status_and_keeps_values(client):
    record_id = _start(client)
    page = _section(client, record_id, "header")
    now = uk_now() - timedelta(hours=2)
    pairs = _set(form_data(page), **{"header__chair": "Priya Shah", "header__format": "phone"})
    pairs = _with_date(pairs, "header-discussion_at", now.day, now.month, now.year, f"{now:%H:%M}")
    answer = _post(client, record_id, "header", pairs)
    assert answer.status_code == 303
    assert _statuses(client, record_id)["header"] == "In progress"
    page = _section(client, record_id, "header")
    assert page.select_one("#header-chair")["value"] == "Priya Shah"
    assert page.select_one("#header-discussion_at-time")["value"] == f"{now:%H:%M}"
    assert page.select_one("#header-format")["value"] == "in_person"
    assert page.select_one("input[name=header-format][value=phone]").has_attr("checked")


def _add(client, record_id, slug, pairs, htmx=False):
    headers = {"HX-Request": "true"} if htmx else {}
    return _post(client, record_id, slug, pairs + [("row-action", "add")], headers=headers)


def test_add_and_remove_participants_with_javascript_off(client):
    record_id = _start(client)
    page = _section(client, record_id, "participants")
    page = soup(_add(client, record_id, "participants", form_data(page)))
    assert page.find("html") is not None
    pairs = _set(form_data(page), participants__0__name="DC Mark Evans",
                 participants__0__phone="01632 960 202")
    page = soup(_add(client, record_id, "participants", pairs))
    pairs = _set(form_data(page), participants__1__name="Sam Lee")
    page = soup(_add(client, record_id, "participants", pairs))
    assert page.select_one("#participants-0-name")["value"] == "DC Mark Evans"
    assert page.select_one("#participants-0-phone")["value"] == "01632 960 202"
    assert page.select_one("#participants-1-name")["value"] == "Sam Lee"
    assert page.select_one("#participants-2-name")["value"] == ""

    removed = _post(client, record_id, "participants", form_data(page) + [("row-action", "remove-0")])
    page = soup(removed)
    assert removed.status_code == 200
    assert page.select_one("#participants-0-name")["value"] == "Sam Lee"
    assert page.select_one("#participants-2-name") is None
    # Nothing is saved until Save is pressed.
    assert client.get(f"/api/strategies/{record_id}").json()["participants"] == []
    saved = _post(client, record_id, "participants", form_data(page) + [("row-action", "save")])
    assert saved.status_code == 303
    names = [p["name"] for p in client.get(f"/api/strategies/{record_id}").json()["participants"]]
    assert names == ["Sam Lee"]


def test_htmx_add_answers_only_the_rows_fragment(client):
    record_id = _start(client)
    page = _section(client, record_id, "agency-positions")
    answer = _add(client, record_id, "agency-positions", form_data(page), htmx=True)
    assert answer.status_code == 200
    assert "HX-Request" in answer.headers["vary"]
    fragment = soup(answer)
    assert fragment.find("html") is None and fragment.find("body") is None
    root = fragment.find(True)
    assert root["id"] == "agency_positions"
    assert fragment.select_one("#agency_positions-0-agency") is not None
    assert root.select_one("button[hx-post]")["hx-target"] == "#agency_positions"


def test_children_rows_keep_their_experience(client):
    body = complete_record()
    body["children"].append({"key": "second", "name": "Mia Carter", "date_of_birth": "2025-03-01",
                             "communication": "pre_verbal", "observations": "Settled and fed"})
    record_id = client.post("/api/strategies", json=body).json()["id"]
    page = _section(client, record_id, "children")
    page = soup(_post(client, record_id, "children", form_data(page) + [("row-action", "remove-0")]))
    assert page.select_one("#children-0-name")["value"] == "Mia Carter"
    answer = _post(client, record_id, "children", form_data(page) + [("row-action", "save")])
    assert answer.status_code == 303
    children = client.get(f"/api/strategies/{record_id}").json()["children"]
    assert [(c["name"], c["observations"]) for c in children] == [("Mia Carter", "Settled and fed")]


def test_experience_page_edits_only_experience(client):
    record_id = client.post("/api/strategies", json=complete_record()).json()["id"]
    page = _section(client, record_id, "experience")
    pairs = _set(form_data(page), children__0__voice="Leo said he feels safe at school.")
    assert _post(client, record_id, "experience", pairs).status_code == 303
    child = client.get(f"/api/strategies/{record_id}").json()["children"][0]
    assert child["voice"] == "Leo said he feels safe at school."
    assert child["name"] == "Leo Carter" and child["date_of_birth"]


def test_update_action_cannot_be_removed(client):
    record_id = _start(client)
    page = _section(client, record_id, "actions")
    first_row = page.select_one("#actions .app-row")
    assert first_row.select_one("button[value^=remove]") is None
    page = soup(_post(client, record_id, "actions", form_data(page) + [("row-action", "remove-0")]))
    assert page.select_one("input[name=actions-0-kind]")["value"] == "update_agencies"


def test_validation_errors_keep_everything_typed(client):
    record_id = _start(client)
    page = _section(client, record_id, "header")
    future = uk_now() + timedelta(days=3)
    pairs = _set(form_data(page), header__chair="x" * 201, header__minute_taker="Tom Reed")
    pairs = _with_date(pairs, "header-discussion_at", future.day, future.month, future.year, "10:00")
    pairs = _with_date(pairs, "header-concern_at", 31, 2, 2026, "10:00")
    answer = _post(client, record_id, "header", pairs)
    assert answer.status_code == 422
    page = soup(answer)
    summary = error_summary(page)
    assert summary["#header-discussion_at"].endswith("must not be in the future")
    assert "#header-concern_at" in summary and "#header-chair" in summary
    for href in summary:
        assert page.select_one(href) is not None, href
    assert page.select_one("#header-chair-error") is not None
    assert page.select_one("#header-chair")["value"] == "x" * 201
    assert page.select_one("#header-minute_taker")["value"] == "Tom Reed"
    assert page.select_one("#header-concern_at")["value"] == "31"
    assert page.select_one("#header-discussion_at-year")["value"] == str(future.year)
    assert client.get(f"/api/strategies/{record_id}").json()["header"]["minute_taker"] is None


def test_participant_contact_and_child_errors(client):
    record_id = _start(client)
    pairs = [("participants-0-name", "Sam"), ("participants-0-email", "bad@"),
             ("participants-0-phone", "abc"), ("participants-0-mode", "telepathy"),
             ("row-action", "save"), ("revision", "1")]
    page = soup(_post(client, record_id, "participants", pairs))
    summary = error_summary(page)
    assert set(summary) == {"#participants-0-email", "#participants-0-phone", "#participants-0-mode"}
    assert page.select_one("#participants-0-email")["value"] == "bad@"
    children = [("children-0-key", ""), ("children-0-name", "Baby"), ("children-0-unborn", "true"),
                ("children-0-gestation_weeks", "50"), ("row-action", "save"), ("revision", "1")]
    page = soup(_post(client, record_id, "children", children))
    assert "#children-0-gestation_weeks" in error_summary(page)
    assert page.select_one("#children-0-gestation_weeks")["value"] == "50"
    assert page.select_one("#children-0-unborn").has_attr("checked")


def test_gestation_is_typed_as_text_and_must_be_whole_weeks(client):
    record_id = _start(client)
    baby = [("children-0-key", "baby"), ("children-0-name", "Baby"), ("children-0-unborn", "true"),
            ("row-action", "save"), ("revision", _revision(client, record_id))]
    answer = _post(client, record_id, "children", baby + [("children-0-gestation_weeks", "24.5")])
    assert answer.status_code == 422
    page = soup(answer)
    assert error_summary(page) == {
        "#children-0-gestation_weeks": "Gestation (weeks) must be a whole number, like 24"}
    assert page.select_one("#children-0-gestation_weeks")["value"] == "24.5"
    assert client.get(f"/api/strategies/{record_id}").json()["children"] == []

    saved = _post(client, record_id, "children", baby + [("children-0-gestation_weeks", " 24 ")])
    assert saved.status_code == 303
    child = client.get(f"/api/strategies/{record_id}").json()["children"][0]
    assert child["gestation_weeks"] == 24 and child["unborn"] is True


def test_an_unticked_unborn_box_saves_false(client):
    record_id = _start(client)
    pairs = [("children-0-key", "kid"), ("children-0-name", "Kid"), ("row-action", "save"),
             ("revision", _revision(client, record_id))]
    assert _post(client, record_id, "children", pairs).status_code == 303
    assert client.get(f"/api/strategies/{record_id}").json()["children"][0]["unborn"] is False


def test_saving_from_a_stale_page_is_refused(client):
    record_id = _start(client)
    mine = form_data(_section(client, record_id, "analysis"))
    theirs = _set(mine, analysis__risks="Their risks")
    assert _post(client, record_id, "analysis", theirs).status_code == 303
    answer = _post(client, record_id, "analysis", _set(mine, analysis__risks="My risks"))
    assert answer.status_code == 409
    page = soup(answer)
    assert "Someone else saved this record" in page.select_one(".govuk-notification-banner").text
    assert page.select_one("#analysis-risks").text == "My risks"
    assert client.get(f"/api/strategies/{record_id}").json()["analysis"]["risks"] == "Their risks"


def test_finalise_refused_then_accepted_then_read_only(client):
    record_id = _start(client)
    revision = soup(client.get(f"/strategies/{record_id}")).select_one(
        "form[action$=finalise] input[name=revision]")["value"]
    refused = client.post(f"/strategies/{record_id}/finalise", data={"revision": revision})
    assert refused.status_code == 422
    links = error_summary(soup(refused))
    assert any(h.startswith(f"/strategies/{record_id}/sections/header#header-chair") for h in links)
    assert any("/sections/decision#decision-outcome" in h for h in links)

    current = client.get(f"/api/strategies/{record_id}").json()
    client.put(f"/api/strategies/{record_id}", json={**complete_record(), "revision": current["revision"]})
    revision = client.get(f"/api/strategies/{record_id}").json()["revision"]
    accepted = client.post(f"/strategies/{record_id}/finalise", data={"revision": str(revision)},
                           follow_redirects=False)
    assert accepted.status_code == 303
    page = soup(client.get(f"/strategies/{record_id}"))
    assert page.select_one("#task-list") is None
    assert "read-only" in page.select_one("main").text
    redirect = client.get(f"/strategies/{record_id}/sections/header", follow_redirects=False)
    assert redirect.status_code == 303
    _post(client, record_id, "analysis", [("analysis-risks", "changed"), ("revision", str(revision + 1))])
    assert client.get(f"/api/strategies/{record_id}").json()["analysis"]["risks"] != "changed"


def test_bad_addresses_and_garbage_never_500(client):
    record_id = _start(client)
    for url in ["/strategies/999999", "/strategies/abc", f"/strategies/{record_id}/sections/nope"]:
        answer = client.get(url)
        assert answer.status_code == 404 and soup(answer).find("h1").text == "Page not found"
    garbage = [
        [("nonsense-0-x", "1"), ("row-action", "save")],
        [("participants-0-name", "a"), ("participants-0-name", "b"), ("row-action", "save")],
        [("row-action", "remove-99")], [("row-action", "remove-x")], [("revision", "abc")],
        [("participants-x-name", "a"), ("row-action", "save")],
        [("participants", "flat"), ("row-action", "save")],
        [("participants-0", "x"), ("participants-0-name", "y"), ("row-action", "save")],
        [("participants-0-name", "y"), ("participants-0-name-first", "z"), ("row-action", "save")],
        [("participants-0-contributed_at-time", "10:00"), ("row-action", "save")],
        [("participants-0-contributed_at-day", "99999999999999999999"),
         ("participants-0-contributed_at-month", "1"), ("participants-0-contributed_at-year", "2026"),
         ("row-action", "save")],
    ]
    for pairs in garbage:
        sent = pairs + [("revision", _revision(client, record_id))]
        assert _post(client, record_id, "participants", sent).status_code < 500, pairs


def test_a_post_without_a_usable_revision_saves_nothing_and_keeps_what_was_typed(client):
    record_id = _start(client)
    before = client.get(f"/api/strategies/{record_id}").json()
    for revision in ([], [("revision", "abc")], [("revision", "")], [("revision", "1"), ("revision", "1")]):
        answer = _post(client, record_id, "analysis",
                       [("analysis-risks", "Typed risks"), ("row-action", "save"), *revision])
        assert answer.status_code == 428, revision
        page = soup(answer)
        assert "nothing has been saved" in page.select_one(".govuk-notification-banner").text
        assert page.select_one("#analysis-risks").text == "Typed risks"
        # The page now carries the current revision, so saving again is possible.
        assert page.select_one("main form input[name=revision]")["value"] == str(before["revision"])
    assert client.get(f"/api/strategies/{record_id}").json() == before


def test_finalise_without_a_usable_revision_finalises_nothing(client):
    record_id = client.post("/api/strategies", json=complete_record()).json()["id"]
    for data in ({}, {"revision": "x"}, {"revision": "²"}, {"revision": "-3"}):
        answer = client.post(f"/strategies/{record_id}/finalise", data=data, follow_redirects=False)
        assert answer.status_code == 428, data
        banner = soup(answer).select_one(".govuk-notification-banner").text
        assert "has not been finalised" in banner
    assert client.get(f"/api/strategies/{record_id}").json()["status"] == "draft"


def test_experience_page_keeps_the_children_in_their_order(client):
    body = complete_record()
    body["children"].append({"key": "second", "name": "Mia Carter", "date_of_birth": "2025-03-01",
                             "communication": "pre_verbal"})
    record_id = client.post("/api/strategies", json=body).json()["id"]
    # Only the second child is posted (a truncated or forged post): nothing else moves or is lost.
    pairs = [("children-0-key", "second"), ("children-0-observations", "Settled"),
             ("row-action", "save"), ("revision", "1")]
    assert _post(client, record_id, "experience", pairs).status_code == 303
    children = client.get(f"/api/strategies/{record_id}").json()["children"]
    assert [c["key"] for c in children] == ["child1", "second"]
    assert children[0]["voice"] == "Leo said his dad grabbed him."
    assert children[1]["observations"] == "Settled"
