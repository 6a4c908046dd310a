"""Rules at their edges, asked directly: the words an account of what was observed must hold,
when the person alleged to have caused harm is a child, and when the police and health took
part in the discussion itself. Each case is one a maintainer could break by a slip (a `<`
for `<=`, an `or` for `and`, a word list widened) and the rule's other tests would not see."""

from datetime import timedelta

import pytest

from app.config import Settings
from app.rules.completeness import evaluate
from app.rules.grounds import alleged_child_action
from app.rules.measures import measure
from tests.builders import discussion_time, observed_parts
from tests.rule_helpers import build, child, failures, paths

SETTINGS = Settings()
DAY = discussion_time().date()
NOT_ENOUGH = "(what the child was seen doing and how: saying they are too young is not enough)"
CARE = ("children", 0, "observed_care")


def _care_failures(text: str) -> list[str]:
    """The messages the observed-account rule gives for a baby's care described as `text`."""
    baby = child(name="Ava Carter", date_of_birth=str(DAY - timedelta(weeks=7)),
                 communication="pre_verbal", **{**observed_parts(), "observed_care": text})
    data = build(children=[baby])
    return [f.message for f in failures(data, "experience.observed") if f.path == CARE]


WORD_25 = "b" + "a" * 24
WORD_26 = "b" + "a" * 25


@pytest.mark.parametrize("text", [
    "Bottle feeding, settled, smiling",              # four words that say something
    "Fed bottle, settled, smiling",                  # a three-letter word counts
    f"Bottle settled smiling {WORD_25}",             # so does one of 25 letters
    "Too young to say; bottle feeding, settled, smiling, cuddled, nappy",  # six after a stock line
])
def test_an_account_with_enough_words_passes(text):
    assert _care_failures(text) == []


@pytest.mark.parametrize("text", [
    "Bottle feeding, settled",                       # three words
    f"Bottle settled smiling {WORD_26}",             # a 26-letter run is not a word
    "Bottle settled smiling xxxx",                   # nor is a run with no vowel
    "Bottle settled smiling the",                    # nor a little word of every sentence
    "Too young to say; bottle feeding, settled, smiling",  # a stock line needs two more
    "Too young to say; bottle feeding, settled, smiling, cuddled",
])
def test_an_account_short_of_words_is_padding(text):
    assert _care_failures(text) == [
        "Ava Carter cannot speak for themselves: describe what was observed of Ava Carter's "
        "care and routines (feeding, sleep, hygiene, the home) " + NOT_ENOUGH]


def test_a_missing_account_is_asked_for_without_the_padding_note():
    assert _care_failures("") == [
        "Ava Carter cannot speak for themselves: describe what was observed of Ava Carter's "
        "care and routines (feeding, sleep, hygiene, the home)"]


# --- the person alleged to have caused harm ----------------------------------------------------

CHILD_FIELDS = {("grounds", "alleged_age"), ("grounds", "alleged_lives_at"),
                ("grounds", "alleged_responsible"), ("grounds", "alleged_own_discussion")}


def _alleged_paths(**grounds) -> set[tuple]:
    data = build(grounds={"alleged_name": "Tom Price", "alleged_relationship": "Neighbour",
                          "alleged_contact_with_children": "no", "alleged_age": None,
                          "alleged_lives_at": None, "alleged_responsible": None,
                          "alleged_own_discussion": None, **grounds})
    return set(paths(data, "grounds.alleged-person"))


@pytest.mark.parametrize(("grounds", "a_child"), [
    ({"alleged_under_18": "yes"}, True),                      # said to be under 18, age unknown
    ({"alleged_under_18": "no", "alleged_age": 17}, True),    # the age says so
    ({"alleged_under_18": "no", "alleged_age": 18}, False),   # eighteen is an adult
    ({"alleged_under_18": "no", "alleged_age": 40}, False),
])
def test_an_alleged_child_is_asked_for_what_a_child_needs(grounds, a_child):
    found = _alleged_paths(**grounds)
    expected = CHILD_FIELDS - {("grounds", name) for name in grounds}
    assert (found & CHILD_FIELDS) == (expected if a_child else set())


@pytest.mark.parametrize(("age", "named"), [(15, "Tom Price (15)"), (None, "Tom Price")])
def test_the_alleged_childs_own_discussion_is_an_action_in_their_name(age, named):
    data = build(grounds={"alleged_name": "Tom Price", "alleged_under_18": "yes",
                          "alleged_age": age})
    assert alleged_child_action(data) == (
        f"CSC considers a strategy discussion for {named}, the child alleged to have caused "
        "harm: a child at risk too")


# --- the police and health in the discussion itself --------------------------------------------

def _in_discussion(*rows: tuple[str, str]) -> bool:
    participants = [{"name": f"Person {n}", "agency": agency, "role": "Officer", "mode": mode,
                     "phone": "01632 960 202"} for n, (agency, mode) in enumerate(rows)]
    data = build(participants=[{"name": "Priya Shah", "agency": "csc", "role": "Team Manager",
                                "mode": "in_person", "email": "priya@example.gov.uk"},
                               *participants])
    return measure(data, evaluate(data, SETTINGS), SETTINGS, DAY)["partners-in-discussion"]


@pytest.mark.parametrize(("rows", "met"), [
    ((("police", "video"), ("health_visiting", "in_person")), True),
    ((("police", "phone_call"), ("gp", "video")), True),
    ((("police", "video"),), False),                                    # no health
    ((("health_visiting", "in_person"),), False),                       # no police
    ((("police", "video"), ("school", "in_person")), False),            # a school is not health
    ((("police", "video"), ("health_visiting", "email_outside")), False),  # health only by email
    ((("police", "written_report"), ("health_visiting", "in_person")), False),
])
def test_the_police_and_a_health_agency_took_part_in_the_discussion(rows, met):
    assert _in_discussion(*rows) is met
