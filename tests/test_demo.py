"""The demo data the README's first command loads: users who can sign in, and records in each state."""

from sqlmodel import select

from app.auth import service as auth_service
from app.config import get_settings
from app.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
from app.records.models import StrategyRecord
from app.rules.completeness import blocking_failures, evaluate


def test_demo_loads_users_and_records_in_each_state_once(session):
    assert load_demo().startswith("Loaded demo users")
    for username, *_ in DEMO_USERS:
        assert auth_service.authenticate(session, username, DEMO_PASSWORD) is not None
    records = session.exec(select(StrategyRecord).order_by(StrategyRecord.id)).all()
    assert [(r.team, r.status, r.version) for r in records] == [
        ("Central", "finalised", 1), ("EDT", "draft", 1), ("Central", "draft", 1),
        ("Central", "draft", 1), ("Central", "finalised", 2)]  # returned; amended
    assert records[3].returned_at is not None
    assert load_demo() == "Records already exist: demo records not loaded."
    assert len(session.exec(select(StrategyRecord)).all()) == 5
    # (One test: loading the demo hashes six passwords with Argon2, slow on purpose.)
    finalised, edt_draft, unborn_draft, _returned, _amended = records
    assert blocking_failures(evaluate(finalised.content, get_settings())) == []
    assert finalised.led_by == "day_team" and edt_draft.led_by == "edt"
    assert blocking_failures(evaluate(unborn_draft.content, get_settings())) != []
    assert unborn_draft.content.children[0].unborn is True
