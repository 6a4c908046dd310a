"""Helpers several test modules share (test modules never import each other): reading a
notice's body and its one-time code, amending a sent record, every row of a database, and a
record with chosen actions."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel

from app import db
from app.domain.schema import StrategyRecordData
from app.followup import lifecycle
from app.followup import service as followup
from app.records.form_errors import inner_model
from app.sending import worker
from app.sending.service import send_version
from migrations.frozen.v0015.domain.schema import StrategyRecordData as FrozenRecord
from tests.builders import complete_record, discussion_time, recipients, record_with
from tests.html import soup


def mail_body(message) -> str:
    return message.get_payload(decode=True).decode()


def emailed_code(anonymous, smtp, path, email="duty@police.example"):
    before = len(smtp.messages)
    answer = anonymous.post(f"{path}/code")
    assert answer.status_code == 200
    assert soup(answer).select_one("#code-sent").get_text(" ", strip=True).startswith(
        f"We have emailed a 6-digit code to {email[0]}•••@{email.split('@')[1]}")
    assert worker.run_once() == 1
    to, message = smtp.messages[before]
    assert to == [email]
    assert message["Subject"] == "Your one-time code for Strategy Record"
    return re.search(r"code is (\d{6})\.", mail_body(message)).group(1)


def amended_and_sent(session, record, sw, sent_to):
    record = followup.amend(session, record, sw, record.revision, "Wrong date of the visit")
    data = StrategyRecordData.model_validate(
        record.content.model_dump(mode="json") | {"distribution": recipients(*sent_to)})
    record = lifecycle.save_record(session, record=record, data=data,
                                   expected_revision=record.revision)
    return lifecycle.finalise_record(session, record=record, expected_revision=record.revision,
                                     finalised_by=sw)


def every_row(url: str) -> dict[str, list[tuple]]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return {table.name: [tuple(row) for row in connection.execute(
                        sa_select(table).order_by(*table.primary_key.columns))]
                    for table in SQLModel.metadata.sorted_tables}
    finally:
        engine.dispose()


def tracked_record(session, user, *, team="Central", finalise=True, led_by="day_team",
            actions=None, referrer=None, review_due=None):
    body = complete_record()
    body["header"]["led_by"] = led_by
    if review_due:
        body["header"]["day_team_review_due"] = str(review_due)
    if actions is not None:
        body["actions"] = actions
    if referrer:
        body["grounds"] |= {"referrer_name": referrer, "referrer_informed_on": None,
                            "referrer_informed_how": None}
    record = lifecycle.create_record(session, data=StrategyRecordData.model_validate(body),
                                     team=team, created_by_id=user.id)
    if finalise:
        record = lifecycle.finalise_record(session, record=record,
                                           expected_revision=record.revision, finalised_by=user)
    return record


def request_body(**changes) -> dict:
    body = {
        "children": [{"name": "Mia Jones", "date_of_birth": "2019-04-02"}],
        "what_happened": "Mia came to school with a bruise on her cheek and said dad hit her.",
        "why_significant_harm": "A non-accidental injury to the face of a 7-year-old.",
        "discussed_with_name": "Ann Lee", "discussed_with_role": "Designated safeguarding lead",
        "discussed_on": "2026-01-12",
        "referral_form": "combined",
    }
    return {**body, **changes}


def _fields_of(model, value):
    """Today's test document with only the fields the record had at 0015 (the frozen schema the
    old migrations read it by forbids any other)."""
    if isinstance(value, list):
        return [_fields_of(model, item) for item in value]
    if not isinstance(value, dict) or model is None:
        return value
    return {name: _fields_of(inner_model(field.annotation), value[name])
            for name, field in model.model_fields.items() if name in value}


def as_of_0015(document: dict) -> dict:
    """A test document as a record stored before migration 0016 could hold it."""
    return _fields_of(FrozenRecord, document)


def statements_run(engine, run) -> list[str]:
    """The SQL statements `engine` was sent while `run()` ran."""
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)
    event.listen(engine, "before_cursor_execute", note)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return seen


def listed_record(session, *, days_ago=0, team="Central", led_by="day_team",
                  outcome="s47_joint", names=("Leo Carter",),
                  distribution=recipients("csc", "police", "health_visiting"), finalise=False):
    """A record for the list's tests, discussed `days_ago` days before the usual time."""
    at = discussion_time() - timedelta(days=days_ago)
    data = record_with(
        header={"led_by": led_by, "discussion_at": at.isoformat(),
                "concern_at": (at - timedelta(hours=5)).isoformat()},
        children=[{"name": name, "person_id": f"LCS{100 + n}"} for n, name in enumerate(names)],
        decision={"outcome": outcome},
        distribution=list(distribution),
    )
    record = lifecycle.create_record(session, data=data, team=team)
    if finalise:  # the list reads columns; finalising is tested elsewhere. Sent as it would be.
        record.status, record.latest_final_version = "finalised", record.version
        session.add(record)
        send_version(session, record, datetime.now(UTC), None)
        session.commit()
    return record
