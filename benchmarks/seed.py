"""Fill the database DATABASE_URL names with N realistic strategy records, in bulk.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python -m app migrate
    DATABASE_URL=... .venv/bin/python benchmarks/seed.py 100000

Each record is generated (varied children, participants, agencies, outcomes, EDT-led or
day team, discussions spread over the last three years) and validated. A record is finalised
only if the rules allow it (about seven in ten are).

The seed writes only what happened (the facts the app's services write) and derives the rest
as the app does: every record's read-model columns, record_distribution rows, every finalised
version's tracked actions, the live audit's row (record_measure), the returns' rows
(child_identifier, section47_enquiry), which version superseded
which and the receipts' discussion day are the app's projection (app/followup/projection.py
`derive`) of the record's facts, in memory before they are inserted: lists and reports see
exactly what the services would have stored.

After the meeting (unless --records-only), `AfterTheMeeting` simulates the facts: each
finalised version's snapshot (record_version), some returned by the manager (the correction
is version 2, sent to the same organisations as a corrected version once finalised, or still
a draft), some amended (finalised again, or the amendment still a draft), most authorised;
action progress (done on time or late, some re-dated first, cancelled, or still open, some
overdue; done on a version, it stays done on the next), the timeline (followup_entry);
EDT-led records' day-team reviews (some late, some missing); referrers told the outcome or
still owed it; further discussions cancelled, with their update action; a receipt per
organisation a version was sent to (most opened, some downloaded, a few withdrawn as sent in
error), with the emails the outbox sent to each organisation's addresses (its own secure
address, or else each of its partner users'); and requests for a discussion from partner
agencies (convened into a record, declined with a reason, or still waiting). Events that
would fall after now have not happened yet. The generator is seeded (--seed): a run is
repeatable.

Rows are generated in worker processes and go in with COPY on PostgreSQL (multi-row INSERTs
on SQLite), not HTTP and not one ORM commit each.

It creates the partner organisations records are sent to if missing (ORGANISATIONS: more
than one school and GP practice, one GP practice with its own secure address, one school
with no address and no users), and the users it needs (password from STRATEGY_PASSWORD,
default below): bench-central, bench-north (social workers), bench-edt (EDT worker),
bench-manager (Central), and partners with an email address, each working for one
organisation: bench-police (and bench-police-2), bench-school and the others in USERS.
"""

import argparse
import multiprocessing
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from app import models  # noqa: E402,F401  (every table in the metadata)
from app.auth import service as auth_service  # noqa: E402
from app.auth.roles import Role  # noqa: E402
from app.clock import UK  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.domain.schema import StrategyRecordData, with_update_action  # noqa: E402
from app.followup import facts as followup_facts  # noqa: E402
from app.followup import projection  # noqa: E402
from app.followup.entries import CANCELLATION_TEXT  # noqa: E402
from app.organisations import accounts  # noqa: E402
from app.organisations import service as organisations  # noqa: E402
from app.records.models import StrategyRecord  # noqa: E402
from app.records.service import derived_columns  # noqa: E402
from app.requests.service import decided_in_time  # noqa: E402
from app.rules.due_dates import cancellation_update_due  # noqa: E402
from app.rules.workdays import add_working_days, is_working_day  # noqa: E402
from app.sending.service import addresses  # noqa: E402

DEFAULT_PASSWORD = "bench-password-123"
# The partner organisations records are sent to: (name, kind of agency, own secure address,
# how often a record of that kind of agency goes to it rather than another of its kind).
ORGANISATIONS = [
    ("Anyshire Police", "police", None, 1),
    ("Riverside Primary School", "school", None, 5),
    ("St Anne's Church of England Academy", "school", None, 4),
    # No address and no users: sent records show as unreachable, as they would in service.
    ("Hillview High School", "school", None, 1),
    ("Anytown Health Visiting Team", "health_visiting", None, 1),
    # Its own secure address: notices go there, not to its users.
    ("Castle Street Surgery", "gp", "castle.street.surgery@nhs.example.org", 1),
    ("Parkway Medical Centre", "gp", None, 2),
    ("Anytown Maternity Unit", "midwifery", None, 1),
    ("Anytown General Hospital Paediatrics", "hospital", None, 1),
    ("Anyshire Probation Service", "probation", None, 1),
    ("Anytown Homes", "housing", None, 1),
]
# (username, display name, role, organisation's name for a partner, team for social care)
USERS = [
    ("bench-central", "Central social worker", "social_worker", None, "Central"),
    ("bench-north", "North social worker", "social_worker", None, "North"),
    ("bench-edt", "EDT worker", "edt_worker", None, "EDT"),
    ("bench-manager", "Central manager", "manager", None, "Central"),
    ("bench-police", "Police partner", "partner", "Anyshire Police", None),
    ("bench-police-2", "Police partner (child abuse team)", "partner", "Anyshire Police", None),
    ("bench-school", "School partner", "partner", "Riverside Primary School", None),
    ("bench-school-2", "St Anne's partner", "partner", "St Anne's Church of England Academy",
     None),
    ("bench-health-visiting", "Health visiting partner", "partner",
     "Anytown Health Visiting Team", None),
    ("bench-gp", "GP partner", "partner", "Parkway Medical Centre", None),
    ("bench-gp-castle", "Castle Street partner", "partner", "Castle Street Surgery", None),
    ("bench-midwifery", "Midwifery partner", "partner", "Anytown Maternity Unit", None),
    ("bench-hospital", "Hospital partner", "partner", "Anytown General Hospital Paediatrics",
     None),
    ("bench-probation", "Probation partner", "partner", "Anyshire Probation Service", None),
    ("bench-housing", "Housing partner", "partner", "Anytown Homes", None),
]
FIRST = ["Leo", "Mia", "Ava", "Noah", "Oliver", "Amelia", "Isla", "Jack", "Freya", "Harry",
         "Zara", "Yusuf", "Aisha", "Kacper", "Maja", "Tyler", "Chloe", "Reggie", "Ruby", "Ali",
         "Sofia", "Evie", "Arlo", "Layla", "Theo", "Ivy", "Ezra", "Nia", "Jayden", "Lily"]
SURNAMES = ["Carter", "Smith", "Jones", "Khan", "Patel", "Nowak", "Williams", "Brown", "Taylor",
            "Davies", "Evans", "Hussain", "Ali", "Wilson", "Murphy", "Kowalski", "Okafor",
            "Mensah", "Walker", "Wright", "Begum", "Thompson", "Roberts", "Green", "Hall"]
OUTCOMES = ["s47_single", "s47_joint", "s47_joint", "s47_criminal", "cin", "cin",
            "early_help", "nfa", "nfa", "further_strategy"]
CONTRIBUTORS = [
    ("police", "DC", "video"), ("health_visiting", "Health Visitor", "phone_outside"),
    ("school", "Designated safeguarding lead", "in_person"), ("gp", "GP", "email_outside"),
    ("midwifery", "Midwife", "phone_outside"), ("hospital", "Paediatrician", "video"),
    ("probation", "Probation officer", "written_report"), ("housing", "Housing officer", "video"),
]


def _working_day_before(day: date) -> date:
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def _pick(rng: random.Random, directory: dict, agency: str) -> tuple[int, str]:
    """One organisation of that kind of agency: (id, name)."""
    choices = directory["by_agency"][agency]
    org_id, name, _ = rng.choices(choices, [weight for _, _, weight in choices])[0]
    return org_id, name


def generate(rng: random.Random, today: date, years: int, directory: dict) -> dict:
    """One strategy record (JSON shape) as a social worker might have written it, sent to
    organisations from `directory` (see ensure_directory)."""
    chosen = {agency: _pick(rng, directory, agency) for agency, _, _ in CONTRIBUTORS}
    day = _working_day_before(today - timedelta(days=rng.randint(1, 365 * years)))
    edt = rng.random() < 0.15
    at = datetime(day.year, day.month, day.day, rng.choice([20, 21, 22]) if edt else
                  rng.randint(9, 16), rng.choice([0, 15, 30, 45]))
    surname = rng.choice(SURNAMES)
    children = []
    for _ in range(rng.choices([1, 2, 3], [6, 3, 1])[0]):
        age = rng.randint(0, 16)
        child = {"name": f"{rng.choice(FIRST)} {surname}",
                 "date_of_birth": str(day - timedelta(days=365 * age + rng.randint(1, 300))),
                 "communication": "pre_verbal" if age < 2 else "verbal",
                 "seen": "yes", "seen_at": (at - timedelta(hours=2)).isoformat(),
                 "seen_by": "Social worker"}
        if age < 2:
            child |= {"observed_care": "Fed and changed on time; sleeps in own cot at home",
                      "observed_presentation": "Clean, alert and appropriately dressed; no marks",
                      "observed_interaction": "Settled with mother and watched her face closely",
                      "observed_by": "Social worker",
                      "observed_at": (at - timedelta(hours=2)).isoformat()}
        else:
            child["voice"] = "Said they felt scared when the adults shouted."
            child["school"] = chosen["school"][1]
        children.append(child)
    joining = rng.sample(CONTRIBUTORS, rng.randint(2, 5))
    for core in (CONTRIBUTORS[0], CONTRIBUTORS[1 if rng.random() < 0.5 else 3]):
        if core not in joining and rng.random() < 0.95:  # police and health, nearly always
            joining.append(core)
    if rng.random() < 0.9 and CONTRIBUTORS[2] not in joining:
        joining.append(CONTRIBUTORS[2])  # school
    participants = [{"name": "Priya Shah", "agency": "csc", "role": "Team Manager",
                     "mode": "in_person", "email": "priya.shah@example.gov.uk"}]
    positions = [{"agency": "csc", "position": "has_concerns", "concerns": "Injury"}]
    for agency, role, mode in joining:
        org_id, org_name = chosen[agency]  # picked from the directory: named as it is there
        participant = {"name": f"{rng.choice(FIRST)} {rng.choice(SURNAMES)}", "agency": agency,
                       "organisation_id": org_id, "organisation": org_name,
                       "role": role, "mode": mode, "phone": "01632 960 202"}
        if mode.endswith("_outside") or mode == "written_report":
            participant["contributed_at"] = (at - timedelta(hours=1)).isoformat()
            participant["relayed_by"] = "Priya Shah"
        participants.append(participant)
        positions.append({"agency": agency, "organisation_id": org_id,
                          "organisation": org_name, "position": rng.choice(
            ["has_concerns", "no_concerns"]), "concerns": "Domestic abuse"})
    if rng.random() < 0.1:  # a draft still being written: some sections missing
        positions = positions[:1]
    outcome = rng.choice(OUTCOMES)
    record = {
        "header": {"concern_at": (at - timedelta(hours=rng.randint(2, 30))).isoformat(),
                   "discussion_at": at.isoformat(), "format": rng.choice(["in_person", "video",
                                                                        "mixed"]),
                   "sequence": "first", "led_by": "edt" if edt else "day_team",
                   "chair": "Priya Shah", "minute_taker": "Tom Reed",
                   "requested_by": rng.choice(["school", "police", "health_visiting"]),
                   "request_reason": "Concern raised by a professional"},
        "children": children,
        "grounds": {"summary": "Bruising reported", "source": "School",
                    "categories": rng.sample(["physical", "emotional", "neglect", "sexual"],
                                             rng.randint(1, 2))},
        "participants": participants,
        "agency_positions": positions,
        "analysis": {"risks": "Physical harm", "strengths": "Mother is protective"},
        "decision": {"outcome": outcome, "reasons": "Reasonable cause to suspect harm"},
        "actions": [{"kind": "update_agencies", "due_date": str(day + timedelta(days=5))}] + [
            {"description": f"Action {i + 1}", "owner": "Social worker",
             "due_date": str(day + timedelta(days=rng.randint(1, 20))),
             "status": rng.choice(["open", "done"])}
            for i in range(rng.randint(1, 4))],
        "next_steps": {},
        # Each organisation that joined, as named_recipients names it (social care owns the
        # record and is never a recipient).
        "distribution": [{"organisation_id": chosen[agency][0], "agency": agency,
                          "name": chosen[agency][1]} for agency, _, _ in joining],
    }
    if outcome in ("s47_joint", "s47_criminal") and rng.random() < 0.9:  # the police's plan
        record["decision"].update(
            police_lead=f"DS {rng.choice(SURNAMES)}", abe_interview="yes",
            enquiry_conduct="Joint visit tomorrow morning; ABE interview within 48 hours",
            crime_reference=f"CR/{rng.randint(10000, 99999)}/{day:%y}")
    if rng.random() < 0.7:  # a named referrer: told at the meeting, or owed the outcome
        grounds = record["grounds"]
        grounds.update(referrer_kind="professional", referrer_agency=record["header"]["requested_by"],
                       referrer_name=f"{rng.choice(FIRST)} {rng.choice(SURNAMES)}")
        if rng.random() < 0.4:
            grounds.update(referrer_informed_on=str(day), referrer_informed_how="Phone call")
    if edt:
        record["header"]["day_team_review_due"] = str(add_working_days(day, 1))
    if outcome == "further_strategy":
        record["next_steps"]["next_discussion_on"] = str(add_working_days(day, 5))
    if outcome.startswith("s47"):
        record["next_steps"]["icpc_date"] = str(add_working_days(day, rng.randint(5, 15)))
    return record


def ensure_organisations(session: Session) -> dict[str, int]:
    """The bench organisations, created (by the directory's service) if missing:
    {name: id}."""
    found = {o.name.lower(): o for o in organisations.every(session)}
    ids = {}
    for name, agency, email, _ in ORGANISATIONS:
        organisation = found.get(name.lower())
        if organisation is None:
            organisation = organisations.create(session, name=name, agency=agency, email=email)
        ids[name] = organisation.id
    return ids


def ensure_users(session: Session, password: str) -> dict[str, tuple[int, str]]:
    """The bench organisations and users, created if missing: {username: (id, display
    name)}. Each partner works for their organisation and has an email address."""
    ids = ensure_organisations(session)
    users = {}
    for username, name, role, organisation, team in USERS:
        user = auth_service.get_user(session, username)
        if user is None:
            user = accounts.create_user(
                session, username=username, display_name=name, role=Role(role),
                password=password, organisation_id=ids[organisation] if organisation else None,
                team=team)
        if organisation and not user.email:
            auth_service.set_email(session, user, f"{username}@example.org")
        users[username] = (user.id, user.display_name)
    return users


def ensure_directory(session: Session) -> dict:
    """What records are sent to, for the worker processes (picklable): each kind of agency's
    organisations {agency: [(id, name, weight)]}, and each organisation's notice addresses as
    the outbox finds them {id: [(email, user id or None)]}."""
    ids = ensure_organisations(session)
    by_agency: dict[str, list] = {}
    for name, agency, _, weight in ORGANISATIONS:
        by_agency.setdefault(agency, []).append((ids[name], name, weight))
    reach = addresses(session, sorted(ids.values()))
    return {"by_agency": by_agency,
            "addresses": {org: [(a.email, a.user_id) for a in found]
                          for org, found in reach.items()}}


def rows_for(rng, record_id, raw, today, users, settings, derived_columns):
    """The strategy_record row's facts (as first saved, or finalised: its derived columns
    come from the projection, see derived_rows), the record's recipients as (organisation id,
    agency) pairs (what it is sent to) and the validated document."""
    data = with_update_action(StrategyRecordData.model_validate(raw, context={"stored": True}))
    at = data.header.discussion_at
    created = at.replace(tzinfo=UK).astimezone(UTC) - timedelta(minutes=rng.randint(0, 90))
    reference = f"SR-{at.year}-{record_id:06d}"
    columns = derived_columns(reference, data, created, settings)
    old = (today - at.date()).days > 14
    # About seven in ten records end finalised: some drafts are never finished.
    finalised = columns["blocking_failures"] == 0 and rng.random() < (0.8 if old else 0.5)
    team = "EDT" if columns["led_by"] == "edt" else rng.choice(["Central", "North"])
    row = {
        "id": record_id, "reference": reference, "version": 1, "revision": rng.randint(1, 12),
        "status": "finalised" if finalised else "draft",
        "data": data.model_dump(mode="json"), "team": team,
        "created_by_id": users[AUTHORS[team]][0],
        "created_at": created, "updated_at": created + timedelta(hours=rng.randint(1, 48)),
    }
    return row, columns["distribution"], data


# --- after the meeting -----------------------------------------------------------------------

AUTHORS = {"Central": "bench-central", "North": "bench-north", "EDT": "bench-edt"}
# Tables in the order they are inserted (foreign keys first).
TABLES = ["strategy_record", "record_distribution", "record_version", "record_measure",
          "tracked_action", "child_identifier", "section47_enquiry",
          "followup_entry", "record_receipt", "notification", "strategy_request"]
# What the simulation writes beside a record: the facts. The other tables' rows (and the
# record's read-model columns) are the projection's.
FACTS = ["record_version", "followup_entry", "record_receipt", "notification"]
RECORD_FACTS = ("id", "reference", "status", "version", "data", "team", "created_at")
REQUESTERS = {"police": "bench-police", "school": "bench-school"}
REQUEST_AGENCIES = ["police", "police", "school", "school", "health_visiting", "gp", "hospital"]


def _uk_time(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UK).astimezone(UTC)


class AfterTheMeeting:
    """Everything that happens to one record after its discussion, as the facts the app's
    own services would have written: finalising (returned and corrected, amended,
    authorised), the version snapshots, action progress, the timeline, EDT reviews, referrer
    feedback, a cancelled further discussion, the receipts of each version sent and the
    emails. What follows from them (tracked actions, the read model, the live audit's row,
    which version superseded which) is the projection's: see `projected`.

    `distribution` is the record's (organisation id, agency) pairs, as derived_columns gives
    them; `directory` is ensure_directory's. `rows` maps each table in FACTS to its new rows;
    `record` (the strategy_record row) is updated in place. Events that would fall after `now`
    have not happened yet: recent records are drafts or have open actions and unopened
    receipts, as in service. The simulation acts on what the app would show at the time
    (the projection of the facts so far), as a user does."""

    def __init__(self, rng, record, data, distribution, now, users, settings, directory):
        self.rng, self.record, self.data, self.now = rng, record, data, now
        self.distribution, self.users, self.settings = distribution, users, settings
        self.addresses = directory["addresses"]
        self.author = users[AUTHORS[record["team"]]]
        self.manager = users["bench-manager"]
        self.rows: dict[str, list[dict]] = {table: [] for table in FACTS}
        # Nothing happens after this: now, or the moment a version stops being the current one.
        self.horizon = now
        self.documents: dict[int, tuple[dict, StrategyRecordData]] = {}

    def entry(self, kind, at, version, by, position=None, **details) -> None:
        self.rows["followup_entry"].append({
            "record_id": self.record["id"], "version": version, "kind": kind, "at": at,
            "by_id": by[0], "by_name": by[1], "action_position": position,
            "details": {k: (v.isoformat() if isinstance(v, date) else v)
                        for k, v in details.items() if v is not None}})
        self.record["updated_at"] = max(self.record["updated_at"], at)

    def past(self, moment: datetime) -> bool:
        return moment <= self.horizon

    def after(self, moment: datetime, final_at: datetime) -> datetime:
        """`moment`, or shortly after the finalisation if it was earlier (follow-up is only
        recorded on a finalised version)."""
        if moment > final_at:
            return moment
        return final_at + timedelta(minutes=self.rng.randint(5, 240))

    # --- the projection of the facts -----------------------------------------------------

    def facts(self) -> followup_facts.Facts:
        """The facts so far, as followup_facts.load would read them back once stored (entries in
        the order they happened; the first receipt)."""
        receipts = self.rows["record_receipt"]
        first = min(receipts, key=lambda r: r["sent_at"]) if receipts else None
        return followup_facts.facts(
            SimpleNamespace(**{k: self.record[k] for k in RECORD_FACTS}),
            [SimpleNamespace(**row) for row in self.rows["record_version"]],
            [SimpleNamespace(**row) for row in sorted(self.rows["followup_entry"],
                                                      key=lambda e: e["at"])],
            (first["version"], first["sent_at"]) if first else None, self.validated)

    def validated(self, data: dict) -> StrategyRecordData:
        """A stored document validated as load validates it, once (each is projected often)."""
        found = self.documents.get(id(data))
        if found is None or found[0] is not data:
            found = self.documents[id(data)] = (data, StrategyRecordData.model_validate(
                data, context={"stored": True}))
        return found[1]

    def projected(self, today: date) -> dict[str, list[dict]]:
        """Every row beside the record, the derived ones as the projection derives them from
        the facts (what `project` stores after each service's step); the record's read-model
        columns too."""
        rows, record = self.rows, self.record
        # Stored in the order they happened, as the services write them.
        rows["followup_entry"].sort(key=lambda e: e["at"])
        derived = projection.derive(self.facts(), self.settings, today)
        record.update(derived.columns)
        for version in rows["record_version"]:
            version["superseded_by"], version["superseded_at"] = derived.superseded[
                version["version"]]
        in_force = derived.columns["latest_final_version"]
        for receipt in rows["record_receipt"]:
            if receipt["version"] in derived.receipt_days:
                receipt["discussion_on"] = derived.receipt_days[receipt["version"]]
            receipt["in_force"] = receipt["version"] == in_force
        return {
            **rows,
            "record_distribution": [{"record_id": record["id"], "organisation_id": org,
                                     "agency": agency} for org, agency in derived.distribution],
            "tracked_action": [{k: v for k, v in row.items() if k != "key"}
                               for row in derived.actions],
            "record_measure": [derived.measure] if derived.measure else [],
            "child_identifier": derived.identifiers,
            "section47_enquiry": derived.enquiries,
        }

    # --- what happens ----------------------------------------------------------------------

    def write(self) -> dict[str, list[dict]]:
        record, rng = self.record, self.rng
        if record["status"] != "finalised":
            return self.rows
        final_at = record["created_at"] + timedelta(hours=rng.uniform(1, 72))
        if not self.past(final_at):
            record["status"] = "draft"
            return self.rows
        self.finalise(1, final_at)
        if rng.random() < 0.04:  # returned by the manager: the correction is version 2
            returned_at = final_at + timedelta(hours=rng.uniform(2, 48))
            if self.past(returned_at):
                self.until(returned_at, lambda: self.follow_up(1, final_at))
                self.next_version("returned", returned_at, self.manager,
                                  reasons=["agency_position", "child_experience"],
                                  comments="Add the school's position and when the child was "
                                           "seen.")
                again = returned_at + timedelta(hours=rng.uniform(1, 24))
                if self.past(again):  # otherwise the correction is still a draft
                    self.finalise(2, again)
                    self.authorise(2, again)
                    self.follow_up(2, again)
                return self.rows
        amend_at = final_at + timedelta(days=rng.uniform(1, 20))
        amending = rng.random() < 0.06 and self.past(amend_at)
        # Authorised and followed up until the amendment starts (what happened carries to it).
        self.until(amend_at if amending else self.now,
                   lambda: (self.authorise(1, final_at), self.follow_up(1, final_at)))
        if amending:
            self.next_version("amended", amend_at, self.author, amends=1,
                              reason="The police's position was recorded against the wrong "
                                     "agency.")
            final_at = amend_at + timedelta(hours=rng.uniform(2, 72))
            if rng.random() < 0.5 and self.past(final_at):  # otherwise still a draft
                self.finalise(2, final_at)
                self.authorise(2, final_at)
                self.follow_up(2, final_at)
        return self.rows

    def until(self, moment: datetime, happen) -> None:
        """What `happen` writes, up to `moment` (when the version stops being current)."""
        self.horizon = min(moment, self.now)
        happen()
        self.horizon = self.now

    def next_version(self, kind: str, at: datetime, by, **details) -> None:
        """Returned or amended (service._next_version): a draft of the next version, starting
        from the current one with what happened after the meeting laid over it."""
        record = self.record
        version = record["version"]
        facts = self.facts()
        actions = [row for row in projection.derive(facts, self.settings, at.date()).actions
                   if row["version"] == version]
        told = [e for e in facts.entries if e.kind == "referrer_told" and e.version <= version]
        self.data = projection.effective(self.data, actions, told[-1] if told else None)
        record.update(status="draft", version=version + 1,
                      data=self.data.model_dump(mode="json"))
        self.entry(kind, at, version + 1, by, **details)

    def finalise(self, version: int, at: datetime) -> None:
        record = self.record
        self.rows["record_version"].append({
            "record_id": record["id"], "version": version, "data": record["data"],
            "finalised_at": at, "finalised_by_id": self.author[0], "authorised_at": None,
            "authorised_by_id": None, "authorised_by_name": None, "superseded_by": None,
            "superseded_at": None})
        self.entry("finalised", at, version, self.author)
        record.update(status="finalised", version=version)
        self.send(version, at)

    def notify(self, version: int, kind: str, at: datetime,
               organisations: list[tuple[int, str]] | None = None) -> None:
        """The emails the outbox sent (as sending.service.notify queues them): one to each
        organisation's own secure address, or else to each of its partner users with one;
        none to an organisation with neither (it is unreachable)."""
        for org, agency in self.distribution if organisations is None else organisations:
            for email, recipient in self.addresses.get(org, []):
                sent = at + timedelta(seconds=self.rng.uniform(2, 90))
                self.rows["notification"].append({
                    "record_id": self.record["id"], "version": version, "organisation_id": org,
                    "agency": agency, "kind": kind, "recipient_id": recipient, "email": email,
                    "status": "sent", "attempts": 1, "next_attempt_at": at,
                    "claimed_at": sent - timedelta(seconds=1), "last_error": None,
                    "sent_at": sent, "created_at": at})

    def send(self, version: int, at: datetime) -> None:
        """A receipt per organisation on the list and the emails to its addresses, as
        send_version writes them. The list never changes here, so an organisation that holds
        an earlier version (not withdrawn) is told of a correction, the others of a record."""
        rng = self.rng
        earlier = {r["organisation_id"] for r in self.rows["record_receipt"]
                   if r["version"] < version and r["withdrawn_at"] is None}
        for org, agency in self.distribution:
            self.notify(version, "corrected" if org in earlier else "sent", at, [(org, agency)])
            opened = downloaded = None
            if rng.random() < 0.88:
                opened = at + timedelta(hours=rng.expovariate(1 / 30))
                opened = opened if self.past(opened) else None
                if opened and rng.random() < 0.6:
                    downloaded = opened + timedelta(minutes=rng.uniform(1, 30))
                    downloaded = downloaded if self.past(downloaded) else None
            self.rows["record_receipt"].append({
                "record_id": self.record["id"], "version": version, "organisation_id": org,
                "agency": agency, "sent_at": at, "first_opened_at": opened,
                "first_downloaded_at": downloaded, "discussion_on": None, "withdrawn_at": None,
                "withdrawn_by_id": None, "withdrawn_reason": None, "in_force": False})

    def withdraw(self, version: int, final_at: datetime) -> None:
        """Now and then a version was sent to a school in error and a manager withdrew it
        (sending.service.withdraw): the receipt says when, who and why, and the school is
        told. It can no longer be opened there."""
        rng = self.rng
        schools = [r for r in self.rows["record_receipt"]
                   if r["version"] == version and r["agency"] == "school"]
        if not schools or rng.random() > 0.03:
            return
        receipt = rng.choice(schools)
        at = final_at + timedelta(hours=rng.uniform(0.5, 72))
        if not self.past(at):
            return
        receipt.update(withdrawn_at=at, withdrawn_by_id=self.manager[0],
                       withdrawn_reason="Sent in error: the child goes to another school.")
        for column in ("first_opened_at", "first_downloaded_at"):
            if receipt[column] and receipt[column] > at:
                receipt[column] = None
        self.notify(version, "withdrawn", at, [(receipt["organisation_id"], receipt["agency"])])

    def authorise(self, version: int, final_at: datetime) -> None:
        at = final_at + timedelta(hours=self.rng.uniform(1, 240))
        if self.rng.random() < 0.8 and self.past(at):
            self.record["status"] = "authorised"
            self.rows["record_version"][-1].update(
                authorised_at=at, authorised_by_id=self.manager[0],
                authorised_by_name=self.manager[1])
            self.entry("authorised", at, version, self.manager)

    def follow_up(self, version: int, final_at: datetime) -> None:
        """Actions done, re-dated or cancelled, the EDT review, the referrer told, a further
        discussion cancelled: on what the follow-up page shows for the version (an earlier
        version's follow-up carried to it)."""
        rng, data = self.rng, self.data
        shown = projection.derive(self.facts(), self.settings, final_at.date())
        final_day = final_at.astimezone(UK).date()
        for row in shown.actions:
            if (row["version"] == version and row["status"] == "open"
                    and row["kind"] != projection.REFERRER_FEEDBACK):
                self.progress(version, row, final_at)
        scheduled = data.next_steps.next_discussion_on
        cancelled = any(e["kind"] == "discussion_cancelled" for e in self.rows["followup_entry"])
        if scheduled and not cancelled and rng.random() < 0.3:
            cancelled_on = final_day + timedelta(days=rng.randint(0, max(0, (scheduled - final_day).days)))
            at = self.after(_uk_time(cancelled_on, rng.randint(9, 17)), final_at)
            cancelled_on = at.astimezone(UK).date()
            if self.past(at):
                due = cancellation_update_due(cancelled_on, self.settings)
                text_ = f"{CANCELLATION_TEXT} {due:%-d %B %Y}"
                self.entry("discussion_cancelled", at, version, self.author,
                           reason="The family moved out of the area; the new authority leads.",
                           scheduled_for=scheduled, cancelled_on=cancelled_on, update_due=due,
                           action=text_)
                # The action the cancellation adds, after the version's own and the referrer's.
                self.progress(version, {
                    "key": (projection.CANCELLATION_UPDATE,), "position": len(
                        [r for r in shown.actions if r["version"] == version]),
                    "kind": projection.CANCELLATION_UPDATE, "description": text_,
                    "due_date": due}, at)
        review_due = shown.columns["review_due"]
        if review_due and shown.columns["reviewed_at"] is None and rng.random() < 0.92:
            late = rng.random() < 0.2
            on = add_working_days(review_due, rng.randint(1, 4)) if late else review_due
            at = self.after(_uk_time(on, rng.randint(8, 11), rng.choice([0, 30])), final_at)
            on = at.astimezone(UK).date()
            if self.past(at):
                self.entry("edt_review", at, version, self.users["bench-central"],
                           reviewed_by="Central social worker", reviewed_on=on,
                           checked="Participants, agency positions and the decision",
                           corrected=None if rng.random() < 0.8 else "The police officer's role",
                           further_needed="no")
        self.withdraw(version, final_at)
        if shown.columns["referrer_feedback_due"] and rng.random() < 0.75:
            on = final_day + timedelta(days=int(rng.expovariate(1 / 3)))
            at = self.after(_uk_time(on, rng.randint(9, 17)), final_at)
            on = at.astimezone(UK).date()
            if self.past(at):
                self.entry("referrer_told", at, version, self.author,
                           told_by=self.author[1], told_on=on, how="Phone call",
                           family_member="no")

    def progress(self, version: int, tracked: dict, since: datetime) -> None:
        """Done (on time or late), cancelled, or still open (overdue once past its due date),
        some first given a new date; as record_action writes it, naming the action by its key.
        The actions that update every agency are done or open, never cancelled."""
        rng = self.rng
        update = tracked["kind"] in projection.UPDATE_KINDS
        start = since.astimezone(UK).date()
        due = tracked["due_date"] or start + timedelta(days=10)
        named = {"key": list(tracked["key"]), "action": tracked["description"]}
        if tracked["due_date"] and rng.random() < 0.06:  # re-dated before it fell due
            on = start + timedelta(days=rng.randint(0, max(0, (due - start).days)))
            at = self.after(_uk_time(on, rng.randint(9, 17), rng.choice([0, 15, 30, 45])), since)
            if not self.past(at):
                return
            due = max(due, at.astimezone(UK).date()) + timedelta(days=rng.randint(5, 20))
            self.entry("action_redated", at, version, self.author, position=tracked["position"],
                       **named, note="Waiting for the family's new address", due_date=due)
            since, start = at, at.astimezone(UK).date()
        # Most forgotten actions are recent: old ones were mostly chased and closed.
        forgotten = 0.15 if (self.now.date() - due).days < 60 else 0.03
        roll = rng.random()
        if roll < forgotten:
            return  # still open
        if roll < forgotten + 0.05 and not update:
            on, outcome = start + timedelta(days=rng.randint(0, max(0, (due - start).days))), "cancelled"
        else:
            on = due + timedelta(days=rng.randint(-5, 1) if rng.random() < 0.75 else rng.randint(1, 15))
            on, outcome = max(on, start), "done"
        at = self.after(_uk_time(on, rng.randint(9, 17), rng.choice([0, 15, 30, 45])), since)
        on = at.astimezone(UK).date()
        if not self.past(at):
            return
        if outcome == "cancelled":
            self.entry("action_cancelled", at, version, self.author, position=tracked["position"],
                       **named, note="No longer needed: the family moved out of the area")
            return
        told = {}
        if update:  # every organisation on the list ticked as updated
            told = {"updated": [{"organisation_id": r.organisation_id, "name": r.name}
                                for r in self.data.distribution],
                    "not_updated": [], "how": "Email"}
        self.entry("action_done", at, version, self.author, position=tracked["position"],
                   **named, note=("Emailed the record's summary and the actions to each agency"
                                  if update else "Visited the family and saw the child"),
                   done_on=on, **told)


def derived_rows(rng, record, data, distribution, now, today, users, settings,
                 directory, extras: bool = True) -> dict[str, list[dict]]:
    """Every row written beside one record (with `extras`, what happened after its discussion:
    see AfterTheMeeting), and the record's read-model columns: the facts simulated, the rest
    derived from them by the app's projection.

    The one place to add rows per record: each finalised version is in rows["record_version"]
    (its "data" is the version's document)."""
    after = AfterTheMeeting(rng, record, data, distribution, now, users, settings, directory)
    if extras:
        after.write()
    return after.projected(today)


# --- requests for a strategy discussion ------------------------------------------------------


def _request_data(rng, agency: str, children: list[dict], role: str) -> dict:
    return {
        "agency": agency,
        "children": [{"name": c["name"], "unborn": False, "date_of_birth": c.get("date_of_birth"),
                      "expected_delivery_date": None} for c in children],
        "what_happened": "The child arrived with bruising to the upper arm and said an adult "
                         "at home grabbed them.",
        "why_significant_harm": "A non-accidental injury to a child, and a second one this term.",
        "discussed_with_name": f"{rng.choice(FIRST)} {rng.choice(SURNAMES)}",
        "discussed_with_role": "Designated safeguarding lead", "discussed_on": None,
        "referral_form": rng.choice(["combined", "combined", "crif", "phone", "letter"]),
        "requester_role": role, "requester_phone": "01632 960 101",
        "requester_email": "requester@example.org",
    }


def _requester(users, agency: str) -> int:
    # Partner agencies without a bench user ask through social care, naming the agency.
    return users[REQUESTERS.get(agency, "bench-central")][0]


def convened_request(rng, record, data, users, settings) -> dict:
    """The request a record was convened from: triaged (mostly within the working day due)
    the moment the record was started."""
    agency = data.header.requested_by.value if data.header.requested_by else "police"
    triaged = record["created_at"] - timedelta(minutes=1)
    waited = timedelta(hours=rng.uniform(0.5, 20) if rng.random() < 0.85 else rng.uniform(30, 120))
    children = [{"name": c.name, "date_of_birth": str(c.date_of_birth) if c.date_of_birth else None}
                for c in data.children]
    return _judged({
        "agency": agency, "created_by_id": _requester(users, agency),
        "created_at": triaged - waited, "status": "convened",
        "data": _request_data(rng, agency, children, "Safeguarding lead"),
        "triaged_at": triaged, "triaged_by_id": users["bench-central"][0],
        "decline_reason": None, "instead": None, "record_id": record["id"]}, settings)


def other_request(rng, now: datetime, years: int, waiting: bool, users) -> dict:
    """A request declined with a reason, or (recent ones) still waiting for triage."""
    agency = rng.choice(REQUEST_AGENCIES)
    day = (now - timedelta(days=rng.uniform(0, 6) if waiting else rng.uniform(1, 365 * years))
           ).astimezone(UK).date()
    created = min(now, _uk_time(_working_day_before(day), rng.randint(8, 17), rng.randint(0, 59)))
    children = [{"name": f"{rng.choice(FIRST)} {rng.choice(SURNAMES)}",
                 "date_of_birth": str((created - timedelta(days=rng.randint(200, 5800))).date())}]
    row = {"agency": agency, "created_by_id": _requester(users, agency), "created_at": created,
           "status": "awaiting", "data": _request_data(rng, agency, children, "Teacher"),
           "triaged_at": None, "triaged_by_id": None, "decline_reason": None, "instead": None,
           "record_id": None, "triaged_in_time": None}
    if not waiting:
        row.update(status="declined",
                   triaged_at=min(now, created + timedelta(hours=rng.uniform(1, 30)
                                                            if rng.random() < 0.85
                                                            else rng.uniform(30, 150))),
                   triaged_by_id=users["bench-manager"][0],
                   decline_reason="The threshold for a strategy discussion is not met: no "
                                  "injury and the parents are working with the school.",
                   instead=rng.choice([None, "Early help assessment offered to the family",
                                       "Referred to the family support team"]))
        _judged(row, get_settings())
    return row


def _judged(row: dict, settings) -> dict:
    """Whether a decided request was decided by its triage date, as the service judges it."""
    shell = type("Request", (), {"created_at": row["created_at"]})
    row["triaged_in_time"] = decided_in_time(shell, row["triaged_at"], settings)
    return row


# --- generating and inserting ----------------------------------------------------------------


def make_batch(job: tuple) -> dict[str, list[dict]]:
    """One batch of rows, generated and derived in a worker process (seeded per batch, so a
    run is repeatable whatever the number of workers)."""
    seed, first_id, size, today, now, years, users, directory, extras = job
    rng = random.Random(seed * 1_000_003 + first_id)
    settings = get_settings()
    rows: dict[str, list[dict]] = {table: [] for table in TABLES}
    for record_id in range(first_id, first_id + size):
        record, recipients, data = rows_for(rng, record_id, generate(rng, today, years,
                                                                     directory),
                                            today, users, settings, derived_columns)
        rows["strategy_record"].append(record)
        for table, new in derived_rows(rng, record, data, recipients, now, today, users,
                                       settings, directory, extras).items():
            rows[table] += new
        if extras and rng.random() < 0.3:
            rows["strategy_request"].append(convened_request(rng, record, data, users, settings))
    if extras:  # about one declined request for every ten records; a few still waiting
        for _ in range(size // 10):
            rows["strategy_request"].append(other_request(rng, now, years, False, users))
        if rng.random() < size / 300:
            rows["strategy_request"].append(other_request(rng, now, years, True, users))
    return rows


def insert_rows(connection, table: str, rows: list[dict]) -> None:
    """Bulk insert: COPY on PostgreSQL, a multi-row INSERT elsewhere (SQLite)."""
    if not rows:
        return
    columns = list(rows[0])
    if connection.dialect.name != "postgresql":
        connection.execute(insert(SQLModel.metadata.tables[table]), rows)
        return
    from psycopg.types.json import Json

    def value(v):
        return Json(v) if isinstance(v, dict | list) else v

    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([value(row[c]) for c in columns])


def fill(engine, count: int, *, batch: int = 1000, years: int = 3, seed: int = 1,
         workers: int = 1, extras: bool = True, password: str = DEFAULT_PASSWORD,
         progress=None) -> tuple[dict[str, int], dict[str, int]]:
    """Insert `count` records (and, with `extras`, everything after their meetings) into
    `engine`'s database: (records by status, rows by table). workers=0 generates in this
    process (tests); otherwise worker processes generate while this one inserts."""
    now = datetime.now(UTC)
    today = now.astimezone(UK).date()
    with Session(engine) as session:
        users = ensure_users(session, password)
        directory = ensure_directory(session)
        first_id = (session.execute(select(func.max(StrategyRecord.id))).scalar() or 0) + 1
    jobs = [(seed, first_id + start, min(batch, count - start), today, now, years, users,
             directory, extras) for start in range(0, count, batch)]
    statuses: dict[str, int] = {}
    totals = dict.fromkeys(TABLES, 0)

    def insert_batch(rows: dict[str, list[dict]]) -> None:
        with engine.begin() as connection:
            for table in TABLES:
                insert_rows(connection, table, rows[table])
                totals[table] += len(rows[table])
        for row in rows["strategy_record"]:
            statuses[row["status"]] = statuses.get(row["status"], 0) + 1
        if progress:
            progress(totals["strategy_record"])

    if workers == 0:
        for job in jobs:
            insert_batch(make_batch(job))
    else:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            for rows in pool.imap(make_batch, jobs):
                insert_batch(rows)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            # Explicit ids were inserted: the next record the app creates follows them.
            connection.execute(text("SELECT setval(pg_get_serial_sequence('strategy_record', "
                                    "'id'), (SELECT max(id) FROM strategy_record))"))
    return statuses, totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes generating records while this one inserts")
    parser.add_argument("--records-only", action="store_true",
                        help="only records and their distribution: no versions, follow-up, "
                             "receipts, emails or requests")
    args = parser.parse_args()

    started = time.perf_counter()
    engine = make_engine(get_settings().database_url)
    statuses, totals = fill(
        engine, args.count, batch=args.batch, years=args.years, seed=args.seed,
        workers=args.workers, extras=not args.records_only,
        password=os.environ.get("STRATEGY_PASSWORD", DEFAULT_PASSWORD),
        progress=lambda done: print(f"\r{done}/{args.count} records", end="", flush=True))
    inserted = time.perf_counter() - started
    if engine.dialect.name == "postgresql":
        # VACUUM also folds the search index's pending entries in: searches are then as fast
        # as they will be in service.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in TABLES:
                connection.execute(text(f"VACUUM ANALYZE {table}"))
    engine.dispose()
    elapsed = time.perf_counter() - started
    done = totals["strategy_record"]
    summary = ", ".join(f"{v} {k}" for k, v in sorted(statuses.items()))
    others = ", ".join(f"{totals[t]} {t}" for t in TABLES[1:])
    print(f"\nInserted {done} records ({summary}) and {others} into "
          f"{engine.url.render_as_string()} in {elapsed:.1f} s ({inserted:.1f} s generating and "
          f"inserting, {done / elapsed:.0f} records/s, {args.workers} workers)")


if __name__ == "__main__":
    main()
