"""Each census check on a Section47 item (app/returns/checks.py), passing and failing."""

from datetime import date
from types import SimpleNamespace

import pytest

from app.config import get_settings
from app.returns.checks import problems

START, TARGET = date(2026, 3, 2), date(2026, 3, 23)


def item(**changes):
    base = {"person_id": "LCS1001", "start_on": START, "icpc_target": TARGET,
            "icpc_on": date(2026, 3, 20), "icpc_not_required": False}
    return SimpleNamespace(**(base | changes))


def codes(found) -> list[tuple[str, str]]:
    return [(p.code, p.severity) for p in problems(found, get_settings())]


def test_a_sound_item_passes_every_check():
    assert codes(item()) == []
    assert codes(item(icpc_on=None, icpc_not_required=True)) == []
    assert codes(item(icpc_on=TARGET)) == []  # on the 15th working day is in time


@pytest.mark.parametrize(("changes", "failed"), [
    ({"person_id": None}, [("LAchildID", "error")]),
    ({"start_on": None}, [("8615", "error")]),
    ({"start_on": date(2026, 3, 21)}, [("8615", "error")]),
    ({"icpc_not_required": True}, [("ICPCnotRequired", "error")]),
    ({"icpc_on": date(2026, 3, 24)}, [("InitialCPCtarget", "query")]),
])
def test_each_check_fails_on_its_own(changes, failed):
    assert codes(item(**changes)) == failed


def test_the_messages_say_what_to_fix(settings_env):
    settings_env(PERSON_ID_LABEL="Mosaic ID")
    late = problems(item(person_id=None, icpc_on=date(2026, 3, 24)), get_settings())
    assert [p.message for p in late] == [
        "The child has no Mosaic ID: the census counts each child by it",
        "The initial conference was held on 24 March 2026, more than 15 working days after the "
        "enquiry started (due by 23 March 2026)"]
    assert [p.fix for p in late] == ["person_id", "course"]
