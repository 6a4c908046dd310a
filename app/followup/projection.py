"""The one projection: everything derived about a record, computed from what happened.

What happened is stored by the services and never derived:
- the record's current document, status, version and team (`strategy_record`);
- each finalised version's snapshot, who finalised it and who authorised it (`record_version`);
- the follow-up entries: returned, amended, action done / cancelled / re-dated, referrer told,
  the day team's review, a further discussion cancelled (`followup_entry`);
- what was sent to whom and when (`record_receipt`).

Everything else (the list's columns, the review columns, the distribution rows, every
version's tracked actions, which version superseded which, the live audit's row, the receipts'
discussion day) is computed here and only here: every service writes its fact and calls
`project`, and `reprojection.project_stale` re-projects records after an upgrade changes what
is derived (many at a time, loading and storing the same way).

Facts after the meeting belong to the record, not to the version they were typed against:
an action done on version 1 is done on version 2 if version 2 still has that action (the same
kind, words and owner), and a review, a told referrer or a cancellation carries the same way.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import delete, insert, select, update
from sqlmodel import Session

from app.clock import as_utc, uk_today
from app.config import Settings, get_settings
from app.domain.choices import ActionKind, ActionStatus, Agency, LedBy, RecordStatus, is_fixed_action
from app.domain.schema import Action, StrategyRecordData
from app.followup.course import enquiry_rows, identifier_rows
from app.followup.facts import Facts, load
from app.followup.measure_row import measure_row
from app.followup.measure_table import RecordMeasure
from app.followup.models import FollowUpEntry, RecordVersion, TrackedAction
from app.records.models import RecordDistribution, StrategyRecord
from app.records.returns_tables import ChildIdentifier, Section47Enquiry
from app.records.service import derived_columns, next_due
from app.records.view import update_action_text
from app.rules.core import discussion_day
from app.rules.due_dates import referrer_feedback_due_on, sent_late
from app.rules.grounds import (
    alleged_child,
    alleged_child_action,
    referrer_feedback_due,
    referrer_named,
)
from app.rules.workdays import add_working_days
from app.sending.models import RecordReceipt

# Bumped whenever what is derived changes: `reprojection.project_stale` then re-projects
# every record.
# 2: the retention columns (migration 0019); 3: the child's identifiers and section 47 rows
# (0017); 4: how people took part and the other child's action (0023)
PROJECTION = 4

CANCELLATION_UPDATE = "cancellation_update"
REFERRER_FEEDBACK = "referrer_feedback"
# A child alleged to have caused harm: CSC considers a discussion of their own.
OTHER_CHILD_DISCUSSION = "other_child_discussion"
# The actions that tell every agency something; the first cannot be cancelled.
UPDATE_KINDS = (ActionKind.UPDATE_AGENCIES.value, CANCELLATION_UPDATE)
PROGRESS = ("action_done", "action_cancelled", "action_redated")
REFERRER_TEXT = "CSC tells the referrer the outcome of the discussion"


@dataclass
class Projection:
    columns: dict
    distribution: list[tuple[int, str]]
    actions: list[dict]
    measure: dict | None
    superseded: dict[int, tuple[int | None, datetime | None]]
    receipt_days: dict[int, date | None] = field(default_factory=dict)
    # The returns' rows (app/followup/course.py): identifiers searched, section 47 enquiries.
    identifiers: list[dict] = field(default_factory=list)
    enquiries: list[dict] = field(default_factory=list)


# --- actions -----------------------------------------------------------------------------------


def action_key(action: Action, nth: int) -> tuple:
    """What makes an action the same action in a later version: the fixed one is itself; a
    task is its words and owner (and which of identical ones it is)."""
    if is_fixed_action(action.kind):
        return (ActionKind.UPDATE_AGENCIES.value,)
    return ("task", (action.description or "").strip().casefold(),
            (action.owner or "").strip().casefold(), nth)


def _keys(data: StrategyRecordData) -> list[tuple]:
    seen: dict[tuple, int] = {}
    keys = []
    for action in data.actions:
        base = action_key(action, 0)
        nth = seen.get(base, 0)
        seen[base] = nth + 1
        keys.append(action_key(action, nth))
    return keys


def key_of(row: TrackedAction, data: StrategyRecordData) -> tuple:
    """The key of a version's tracked action (its row, and the version's document)."""
    keys = _keys(data)
    return keys[row.position] if row.position < len(keys) else (row.kind,)


def entry_key(entry: FollowUpEntry, documents: dict[int, StrategyRecordData]) -> tuple | None:
    """The action a progress entry is about. Entries name it by key; older ones by their
    version's position (past the document's actions was the cancellation's update)."""
    if entry.details.get("key"):
        return tuple(entry.details["key"])
    data = documents.get(entry.version)
    if data is None or entry.action_position is None:
        return None
    keys = _keys(data)
    return keys[entry.action_position] if entry.action_position < len(keys) else (
        CANCELLATION_UPDATE,)


def _cancellation(facts: Facts, version: int) -> FollowUpEntry | None:
    return next((e for e in facts.entries if e.kind == "discussion_cancelled"
                 and e.version <= version), None)


def _told(facts: Facts, version: int) -> FollowUpEntry | None:
    told = [e for e in facts.entries if e.kind == "referrer_told" and e.version <= version]
    return told[-1] if told else None


def _day(value) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _version_actions(facts: Facts, version: int, data: StrategyRecordData,
                     settings: Settings) -> list[dict]:
    record, day = facts.record, discussion_day(data)
    led_by = data.header.led_by.value if data.header.led_by else None
    rows: list[dict] = []

    def add(key, kind, description, owner, agency, due, status):
        rows.append({"record_id": record.id, "version": version, "position": len(rows),
                     "key": key, "kind": kind, "description": description, "owner": owner,
                     "agency": agency, "team": record.team, "led_by": led_by, "due_date": due,
                     "discussion_on": day, "status": status, "closed_at": None, "done_on": None,
                     "closed_by_name": None, "note": None})

    for key, action in zip(_keys(data), data.actions, strict=True):
        fixed = is_fixed_action(action.kind)
        add(key, action.kind.value,
            update_action_text(action) if fixed else action.description or "",
            action.owner, action.agency.value if action.agency else None, action.due_date,
            action.status.value)
    csc = (Agency.CSC.label, Agency.CSC.value)
    if referrer_feedback_due(data):
        told = _told(facts, version)
        add((REFERRER_FEEDBACK,), REFERRER_FEEDBACK, REFERRER_TEXT, *csc,
            referrer_feedback_due_on(day, settings), "done" if told else "open")
        if told:
            rows[-1].update(closed_at=as_utc(told.at), closed_by_name=told.by_name,
                            done_on=_day(told.details.get("told_on")),
                            note=told.details.get("how"))
    if alleged_child(data):
        add((OTHER_CHILD_DISCUSSION,), OTHER_CHILD_DISCUSSION, alleged_child_action(data), *csc,
            add_working_days(day, settings.other_child_discussion_working_days) if day else None,
            "open")
    cancelled = _cancellation(facts, version)
    if cancelled:
        add((CANCELLATION_UPDATE,), CANCELLATION_UPDATE, cancelled.details.get("action", ""),
            *csc, _day(cancelled.details.get("update_due")), "open")
    by_key = {row["key"]: row for row in rows}
    for entry in facts.entries:
        if entry.kind not in PROGRESS or entry.version > version:
            continue
        row = by_key.get(entry_key(entry, facts.documents))
        if row is None:
            continue  # the action is not in this version
        if entry.kind == "action_redated":
            row["due_date"] = _day(entry.details.get("due_date"))
            continue
        row.update(status="done" if entry.kind == "action_done" else "cancelled",
                   closed_at=as_utc(entry.at), closed_by_name=entry.by_name,
                   note=entry.details.get("note"), done_on=_day(entry.details.get("done_on")))
    return rows


# --- the projection ----------------------------------------------------------------------------


def effective(data: StrategyRecordData, actions: list[dict], told: FollowUpEntry | None
              ) -> StrategyRecordData:
    """A finalised version with what happened after it laid over it (never stored in the
    snapshot): its actions' progress and the referrer told. What an amendment starts from."""
    updated = [action.model_copy(update={"status": ActionStatus(row["status"]),
                                         "due_date": row["due_date"]})
               for action, row in zip(data.actions, actions, strict=False)]
    grounds = data.grounds
    if told:
        grounds = grounds.model_copy(update={
            "referrer_informed_on": _day(told.details.get("told_on")),
            "referrer_informed_how": (told.details.get("how") or "")[:200]})
    return data.model_copy(update={"actions": updated, "grounds": grounds})


def derive(facts: Facts, settings: Settings, today: date) -> Projection:
    record = facts.record
    versions = sorted(facts.documents)
    actions = {v: _version_actions(facts, v, facts.documents[v], settings) for v in versions}
    in_force = versions[-1] if versions else None
    for version, rows in actions.items():
        for row in rows:
            row["in_force"] = version == in_force
    final = record.status != RecordStatus.DRAFT.value
    now_snapshot = facts.snapshots.get(record.version) if final else None
    entries = facts.entries
    reviewed = next((e for e in reversed(entries) if e.kind == "edt_review"), None)
    cancelled = _cancellation(facts, record.version) if final else None
    told = _told(facts, record.version)

    columns: dict = {"projected_with": PROJECTION}
    distribution: list[tuple[int, str]] = []
    if facts.current is not None:
        current = facts.current
        if final and record.version in actions:
            current = effective(current, actions[record.version], told)
        derived = derived_columns(record.reference, current, record.created_at, settings)
        distribution = derived.pop("distribution")
        columns.update(derived)
        if final and record.version in actions:
            columns["next_due"] = _next_due(current, actions[record.version],
                                            reviewed is not None, cancelled is not None)

    workflow = [e for e in entries if e.kind in ("finalised", "returned", "amended")]
    columns.update(
        latest_final_version=in_force,
        finalised_at=as_utc(now_snapshot.finalised_at) if now_snapshot else None,
        authorised_at=as_utc(now_snapshot.authorised_at) if now_snapshot else None,
        authorised_by_id=now_snapshot.authorised_by_id if now_snapshot else None,
        returned_at=(as_utc(workflow[-1].at) if not final and workflow
                     and workflow[-1].kind == "returned" else None))
    columns.update(_after_the_meeting(facts, in_force, reviewed, settings))

    measure = None
    if in_force is not None:
        data, snapshot = facts.documents[in_force], facts.snapshots[in_force]
        measure = measure_row(
            record.id, in_force, record.team, data, sent_late=columns["sent_late"],
            reviewed_on=columns["reviewed_on"], authorised=snapshot.authorised_at is not None,
            returned=any(e.kind == "returned" for e in entries),
            amended=any(e.kind == "amended" for e in entries),
            referrer_told_on=columns["referrer_told_on"], today=today, settings=settings)
        if measure and measure["m_referrer_told"] is not None and _told(facts, in_force):
            measure["m_referrer_told"] = True
    superseded = {}
    for index, version in enumerate(sorted(facts.snapshots)):
        later = sorted(facts.snapshots)[index + 1:]
        superseded[version] = ((later[0], as_utc(facts.snapshots[later[0]].finalised_at))
                               if later else (None, None))
    return Projection(
        columns=columns, distribution=distribution,
        actions=[row for v in versions for row in actions[v]], measure=measure,
        superseded=superseded,
        receipt_days={v: discussion_day(facts.documents[v]) for v in versions},
        identifiers=identifier_rows(record.id, facts.current),
        enquiries=enquiry_rows(record, in_force, facts.documents.get(in_force), entries,
                               settings))


def _after_the_meeting(facts: Facts, in_force: int | None, reviewed, settings) -> dict:
    """The review columns the manager's page counts, of the version in force."""
    none = {"review_due": None, "reviewed_at": None, "reviewed_on": None,
            "referrer_feedback_due": False, "referrer_told_on": None, "sent_late": None}
    if in_force is None:
        return none
    data = facts.documents[in_force]
    told = _told(facts, in_force)
    edt = data.header.led_by == LedBy.EDT
    first = facts.first_sent
    sent_in = facts.documents.get(first[0]) if first else None
    return {
        "review_due": data.header.day_team_review_due if edt else None,
        "reviewed_at": as_utc(reviewed.at) if reviewed else None,
        "reviewed_on": _day(reviewed.details.get("reviewed_on")) if reviewed else None,
        "referrer_feedback_due": referrer_feedback_due(data) and told is None,
        "referrer_told_on": (_day(told.details.get("told_on")) if told
                             else data.grounds.referrer_informed_on
                             if referrer_named(data) and not referrer_feedback_due(data)
                             else None),
        "sent_late": (sent_late(sent_in.header.discussion_at, first[1], settings)
                      if first and sent_in else None),
    }


def _next_due(data: StrategyRecordData, actions: list[dict], reviewed: bool,
              cancelled: bool) -> date | None:
    """The earliest date something is still owed on a finalised version: an open action
    (its own, the referrer's or the cancellation's), the day team's review unless done, the
    conference, the next discussion unless cancelled."""
    owed = data.model_copy(update={
        "actions": [],
        "header": data.header.model_copy(update={
            "day_team_review_due": None if reviewed else data.header.day_team_review_due}),
        "next_steps": data.next_steps.model_copy(update={
            "next_discussion_on": None if cancelled else data.next_steps.next_discussion_on}),
    })
    dates = [row["due_date"] for row in actions if row["status"] == "open" and row["due_date"]]
    found = next_due(owed)
    return min([*dates, *([found] if found else [])], default=None)


# --- storing it --------------------------------------------------------------------------------


def store(session: Session, record_id: int, projection: Projection) -> None:
    session.execute(update(StrategyRecord).where(StrategyRecord.id == record_id)
                    .values(**projection.columns))
    if "led_by" in projection.columns:  # the document validated: its distribution is known
        session.execute(delete(RecordDistribution).where(RecordDistribution.record_id == record_id))
        if projection.distribution:
            session.execute(insert(RecordDistribution), [
                {"record_id": record_id, "organisation_id": org, "agency": agency}
                for org, agency in projection.distribution])
    _store_actions(session, record_id, projection.actions)
    session.execute(delete(RecordMeasure).where(RecordMeasure.record_id == record_id))
    if projection.measure:
        session.execute(insert(RecordMeasure), [projection.measure])
    for version, (by, at) in projection.superseded.items():
        session.execute(update(RecordVersion).where(
            RecordVersion.record_id == record_id, RecordVersion.version == version)
            .values(superseded_by=by, superseded_at=at))
    for table, rows in ((ChildIdentifier, projection.identifiers),
                        (Section47Enquiry, projection.enquiries)):
        session.execute(delete(table).where(table.record_id == record_id))
        if rows:
            session.execute(insert(table), rows)
    for version, day in projection.receipt_days.items():
        session.execute(update(RecordReceipt).where(
            RecordReceipt.record_id == record_id, RecordReceipt.version == version,
            RecordReceipt.discussion_on.is_distinct_from(day)).values(discussion_on=day))
    in_force = projection.columns["latest_final_version"]
    session.execute(update(RecordReceipt).where(
        RecordReceipt.record_id == record_id,
        RecordReceipt.in_force != (RecordReceipt.version == in_force)  # a version: never NULL
        if in_force is not None else RecordReceipt.in_force).values(
        in_force=RecordReceipt.version == in_force if in_force is not None else False))


def _store_actions(session: Session, record_id: int, actions: list[dict]) -> None:
    """Each version's actions in place (a row keeps its id while it is the same place in the
    same version): changed rows updated, new ones added, gone ones removed."""
    changed, gone, new = action_changes(session.execute(select(TrackedAction).where(
        TrackedAction.record_id == record_id)).scalars(), actions)
    for action_id, values in changed:
        session.execute(update(TrackedAction).where(TrackedAction.id == action_id)
                        .values(values))
    if gone:
        session.execute(delete(TrackedAction).where(TrackedAction.id.in_(gone)))
    if new:
        session.execute(insert(TrackedAction), new)


def action_changes(stored_rows, actions: list[dict]
                   ) -> tuple[list[tuple[int, dict]], list[int], list[dict]]:
    """What storing `actions` over the stored rows takes: (id, values) to update, ids to
    delete, values to insert. A stored row is matched by its version and position."""
    stored = {(row.version, row.position): row for row in stored_rows}
    changed, new = [], []
    for action in actions:
        values = {k: v for k, v in action.items() if k != "key"}
        found = stored.pop((values["version"], values["position"]), None)
        if found is None:
            new.append(values)
        elif any(differs(getattr(found, k), v) for k, v in values.items()):
            changed.append((found.id, values))
    return changed, [row.id for row in stored.values()], new


def differs(old, new) -> bool:
    return as_utc(old) != new if isinstance(old, datetime) else old != new


def project(session: Session, record_id: int, *, today: date | None = None) -> None:
    """Re-derive everything about the record from what happened, in the caller's transaction."""
    store(session, record_id, derive(load(session, record_id), get_settings(),
                                     today or uk_today()))
