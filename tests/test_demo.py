"""The demo data the README's first command loads: users who can sign in, and records in each state."""

from sqlmodel import select

from app.auth import service as auth_service
from app.auth.models import User
from app.config import get_settings
from app.demo import DEMO_ORGANISATIONS, DEMO_PASSWORD, DEMO_USERS, load_demo
from app.organisations.models import Organisation
from app.records.models import StrategyRecord
from app.rules.completeness import blocking_failures, evaluate


def test_demo_loads_users_and_records_in_each_state_once(session):
    # The README's first command loads the demo into a new, empty database: without the
    # standard organisations every test database otherwise holds.
    for organisation in session.exec(select(Organisation)).all():
        session.delete(organisation)
    session.commit()
    assert load_demo().startswith("Loaded 7 partner organisations, demo users")
    organisations = {o.name: o for o in session.exec(select(Organisation)).all()}
    assert sorted(organisations) == sorted(name for name, *_ in DEMO_ORGANISATIONS)
    for username, *_ in DEMO_USERS:
        assert auth_service.authenticate(session, username, DEMO_PASSWORD) is not None
    users = {u.username: u for u in session.exec(select(User)).all()}
    assert sorted(users) == sorted(u[0] for u in DEMO_USERS)
    for username, _name, _role, organisation, _team in DEMO_USERS:
        expected = organisations[organisation].id if organisation else None
        assert users[username].organisation_id == expected, username
    records = session.exec(select(StrategyRecord).order_by(StrategyRecord.id)).all()
    assert [(r.team, r.status, r.version) for r in records] == [
        ("Central", "finalised", 1), ("EDT", "draft", 1), ("Central", "draft", 1),
        ("Central", "draft", 2), ("Central", "finalised", 2)]  # returned after sending; amended
    assert records[3].returned_at is not None
    assert load_demo() == "Records already exist: demo records not loaded."
    assert len(session.exec(select(StrategyRecord)).all()) == 5
    # (One test: loading the demo hashes a password per user with Argon2, slow on purpose.)
    finalised, edt_draft, unborn_draft, _returned, _amended = records
    assert blocking_failures(evaluate(finalised.content, get_settings())) == []
    assert finalised.led_by == "day_team" and edt_draft.led_by == "edt"
    # Leo's record goes to the police, his school, his health visitor and his GP.
    assert sorted(r.name for r in finalised.content.distribution) == [
        "Anytown Health Visiting Service", "Anytown Police", "Market Street Surgery",
        "Riverside Primary School"]
    for recipient in finalised.content.distribution:
        chosen = organisations[recipient.name]
        assert (recipient.organisation_id, recipient.agency) == (chosen.id, chosen.agency)
    assert blocking_failures(evaluate(unborn_draft.content, get_settings())) != []
    assert unborn_draft.content.children[0].unborn is True
