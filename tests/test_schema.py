"""The record's own validators: what no record may say, whatever its completeness."""

from datetime import timedelta

import pytest
from pydantic import ValidationError

from app.config import get_settings
from app.domain.schema import StrategyRecordData, uk_now
from tests.builders import complete_record


def _errors(raw: dict) -> list[tuple[tuple, str]]:
    with pytest.raises(ValidationError) as caught:
        StrategyRecordData.model_validate(raw)
    return [(e["loc"], e["msg"]) for e in caught.value.errors()]


def test_a_discussion_before_the_concern_is_refused():
    raw = complete_record()
    raw["header"]["concern_at"], raw["header"]["discussion_at"] = (
        raw["header"]["discussion_at"], raw["header"]["concern_at"])
    assert _errors(raw) == [(("header", "discussion_at"),
                             "Value error, The discussion must be on or after the time the concern arose")]


def test_an_unborn_child_with_a_date_of_birth_is_refused():
    raw = complete_record()
    raw["children"][0]["unborn"] = True
    assert _errors(raw) == [(("children", 0, "date_of_birth"), "Value error, An unborn child has an "
                             "expected date of delivery, not a date of birth")]


def test_an_expected_delivery_date_long_past_is_refused_but_a_recent_one_is_kept():
    limit = get_settings().edd_past_limit_days
    raw = complete_record()
    raw["children"] = [{"name": "Baby", "unborn": True,
                        "expected_delivery_date": str(uk_now().date() - timedelta(days=limit + 1))}]
    ((loc, message),) = _errors(raw)
    assert loc == ("children", 0, "expected_delivery_date")
    assert "long past" in message
    raw["children"][0]["expected_delivery_date"] = str(uk_now().date() - timedelta(days=limit))
    assert StrategyRecordData.model_validate(raw).children[0].expected_delivery_date is not None


def test_a_stored_record_is_read_again_even_when_its_delivery_date_has_since_passed():
    raw = complete_record()
    raw["children"] = [{"name": "Baby", "unborn": True,
                        "expected_delivery_date": str(uk_now().date() - timedelta(days=400))}]
    data = StrategyRecordData.model_validate(raw, context={"stored": True})
    assert data.children[0].expected_delivery_date == uk_now().date() - timedelta(days=400)


def test_a_record_has_at_most_one_update_all_agencies_action():
    raw = complete_record()
    raw["actions"].append({"kind": "update_agencies"})
    ((loc, message),) = _errors(raw)
    assert loc == ()
    assert message == "Value error, A record has exactly one update-all-agencies action"


def test_the_distribution_list_keeps_each_organisation_once_in_order():
    raw = complete_record()
    raw["distribution"] = [7, "12", 7, {"organisation_id": 3}, 12]
    assert [r.organisation_id for r in StrategyRecordData.model_validate(raw).distribution] == [
        7, 12, 3]


@pytest.mark.parametrize("bad", ["police", 0, -4, 2**31, True, "1e3", {"organisation_id": "x"}])
def test_a_recipient_is_an_organisation_id(bad):
    raw = complete_record()
    raw["distribution"] = [bad]
    ((loc, _),) = _errors(raw)
    assert loc[0] == "distribution"
