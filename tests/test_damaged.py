"""A stored document that no longer validates is a damaged record: it breaks nothing else."""

from alembic.script import ScriptDirectory
from sqlalchemy import update
from sqlmodel import select

from app import migrate
from app.followup import lifecycle, reprojection
from app.records import service
from app.records.models import StrategyRecord
from tests.builders import damage, record_with
from tests.conftest import make_user, signed_in
from tests.html import soup

# The newest migration, which /healthz reports once the database is migrated.
HEAD = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


def two_records(session):
    good = lifecycle.create_record(session, data=record_with(), team="Central")
    bad = lifecycle.create_record(session, data=record_with(), team="Central")
    damage(session, bad)
    return good, bad


def test_record_page_says_it_is_damaged_and_why(client, session):
    _, bad = two_records(session)
    answer = client.get(f"/strategies/{bad.id}")
    assert answer.status_code == 200
    page = soup(answer)
    assert page.h1.get_text() == f"Strategy record {bad.reference} is damaged"
    reason = page.select_one("#reason").get_text()
    assert "header.led_by: Input should be" in reason
    assert "surprise: Extra inputs are not permitted" in reason
    assert "night_shift" not in reason  # the reason names fields, never stored values


def test_list_other_records_and_healthz_still_answer(client, session):
    good, bad = two_records(session)
    client.get(f"/strategies/{bad.id}")  # reading it flags it
    rows = soup(client.get("/strategies")).select("#records tbody tr")
    assert [row.a.get_text() for row in rows] == [bad.reference, good.reference]
    assert rows[0].select_one(".govuk-tag").get_text() == "Damaged"
    assert "header.led_by" in rows[0].get_text()
    assert client.get(f"/strategies/{good.id}").status_code == 200
    assert client.get(f"/api/strategies/{good.id}").status_code == 200
    assert client.get(f"/strategies/{good.id}/record.pdf").status_code == 200
    listed = client.get("/api/strategies").json()["items"]
    assert [(i["reference"], i["damaged"]) for i in listed] == [
        (bad.reference, True), (good.reference, False)]
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "migration": HEAD}


def test_api_answers_409_with_the_reason(client, session):
    _, bad = two_records(session)
    url = f"/api/strategies/{bad.id}"
    for answer in (client.get(url), client.put(url, json={}),
                   client.post(f"{url}/finalise"), client.get(f"{url}/completeness")):
        assert answer.status_code == 409
        assert answer.json()["detail"].startswith(f"Strategy record {bad.reference} is damaged")
        assert "header.led_by" in answer.json()["detail"]


def test_section_page_of_a_damaged_record_is_a_409_page(client, session):
    _, bad = two_records(session)
    answer = client.get(f"/strategies/{bad.id}/sections/header")
    assert answer.status_code == 409
    assert f"Strategy record {bad.reference} is damaged" in soup(answer).get_text()


def test_reading_flags_damage_and_re_projecting_re_derives_good_records(session):
    """A damaged document is flagged when it is first read; the columns of a good one an older
    projection derived are derived again by the re-projection `python -m app migrate` runs."""
    good, bad = two_records(session)
    session.execute(update(StrategyRecord).where(StrategyRecord.id == good.id)
                    .values(outcome=None, blocking_failures=99, projected_with=0))
    session.commit()
    for record in session.exec(select(StrategyRecord)).all():
        service.get_record(session, record.id)
    assert [r.reference for r in service.damaged_records(session)] == [bad.reference]
    assert reprojection.project_stale(session) == 1
    session.expire_all()
    good = session.get(StrategyRecord, good.id)
    assert (good.outcome, good.blocking_failures) == ("s47_joint", 0)


def test_administrators_and_managers_see_damaged_records(anonymous, session):
    good, bad = two_records(session)
    service.get_record(session, bad.id)
    for role in ("admin", "manager"):
        client = signed_in(anonymous, session, make_user(session, role, role))
        answer = client.get("/damaged-records")
        assert answer.status_code == 200
        cells = [td.get_text() for td in soup(answer).select("#damaged tbody td")]
        assert cells[0] == bad.reference
        assert cells[1] == "Central"
        assert "header.led_by: Input should be" in cells[3]
        assert good.reference not in answer.text


def test_social_workers_may_not_see_the_damaged_list(client):
    assert client.get("/damaged-records").status_code == 403


def test_a_stored_pdf_is_served_unread_and_one_to_render_is_checked_first(client, session):
    """A finalised version's stored PDF is what was sent: served as stored (the document is not
    read for it). A PDF that must be rendered reads the document, so a damaged one is flagged
    and answers 409, as the record page does."""
    stored = lifecycle.create_record(session, data=record_with(), team="Central")
    stored = lifecycle.finalise_record(session, record=stored, expected_revision=stored.revision)
    first = client.get(f"/strategies/{stored.id}/record.pdf")
    assert first.status_code == 200
    child = stored.content.children[0].key
    draft = lifecycle.create_record(session, data=record_with(), team="Central")
    damage(session, stored)
    damage(session, draft)
    again = client.get(f"/strategies/{stored.id}/record.pdf")
    assert (again.status_code, again.content) == (200, first.content)
    assert service.damaged_records(session) == []
    assert client.get(f"/strategies/{draft.id}/record.pdf").status_code == 409
    assert [r.id for r in service.damaged_records(session)] == [draft.id]
    # A child's copy reads the children from the document: checked, so flagged first.
    assert client.get(f"/strategies/{stored.id}/children/{child}/record.pdf").status_code == 409
    assert [r.id for r in service.damaged_records(session)] == [stored.id, draft.id]
