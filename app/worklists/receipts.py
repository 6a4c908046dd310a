"""Whether each agency received, opened and downloaded a record; the flags the manager sees.

An agency is flagged when it has not opened the version sent to it by the end of
RECEIPT_WORKING_DAYS working days after the day it was sent (bank holidays do not count).
The send-within rule (SEND_WITHIN_WORKING_DAYS of the discussion) is judged here too, not
among the completeness rules: the document cannot know when it was sent, only this table can.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, true
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.auth.models import User
from app.clock import uk_date, uk_day_start, uk_today
from app.config import Settings, get_settings
from app.db import count_up_to, counts_up_to
from app.organisations.models import Organisation, OrganisationContact
from app.records.models import RecordDistribution, StrategyRecord
from app.rules.due_dates import sent_late
from app.rules.workdays import add_working_days
from app.sending.models import Notification, RecordReceipt
from app.visibility import record_filter as visible_filter


def open_by(sent_at: datetime, settings: Settings) -> date:
    """The last day an agency can open a record sent at `sent_at` without being flagged."""
    return add_working_days(uk_date(sent_at), settings.receipt_working_days)


def flag_cutoff(today: date, settings: Settings) -> datetime:
    """Receipts sent before this moment (UTC) and still unopened are flagged `today`: the
    start of the day after the latest sending day whose open-by day is before today."""
    day = today - timedelta(days=1)
    while add_working_days(day, settings.receipt_working_days) >= today:
        day -= timedelta(days=1)
    return uk_day_start(day + timedelta(days=1))


def _reachable(organisation_column):
    """An organisation with an address for notices: an active named contact's, its own, or
    an active user's."""
    addressed = aliased(Organisation)  # the outer query may join the directory itself
    own = exists(select(addressed.id).where(addressed.id == organisation_column,
                                            addressed.email.is_not(None)))
    users = exists(select(User.id).where(User.role == "partner",
                                         User.organisation_id == organisation_column,
                                         User.email.is_not(None), User.is_active))
    contacts = exists(select(OrganisationContact.id).where(
        OrganisationContact.organisation_id == organisation_column, OrganisationContact.active))
    return or_(contacts, own, users)


@dataclass(frozen=True)
class AgencyReceipt:
    organisation_id: int
    organisation: str
    agency: str
    version: int | None
    sent_at: datetime | None
    delivered: bool
    first_opened_at: datetime | None
    first_downloaded_at: datetime | None
    open_by: date | None
    flagged: bool
    unreachable: bool
    sent_late: bool


def for_record(session: Session, record: StrategyRecord, today: date | None = None
               ) -> list[AgencyReceipt]:
    """Per organisation on the distribution list: the version in force's receipt (if it was
    sent to it, and not withdrawn)."""
    settings = get_settings()
    today = today or uk_today()
    version = record.latest_final_version
    listed = list(session.execute(
        select(RecordDistribution.organisation_id, Organisation.name, RecordDistribution.agency,
               _reachable(RecordDistribution.organisation_id))
        .join(Organisation, Organisation.id == RecordDistribution.organisation_id)
        .where(RecordDistribution.record_id == record.id)
        .order_by(Organisation.name, Organisation.id)).all())
    receipts = {r.organisation_id: r for r in session.execute(select(RecordReceipt).where(
        RecordReceipt.record_id == record.id, RecordReceipt.version == version,
        RecordReceipt.withdrawn_at.is_(None))).scalars()}
    delivered = set(session.execute(select(Notification.organisation_id).where(
        Notification.record_id == record.id, Notification.version == version,
        Notification.kind == "sent", Notification.status == "sent")).scalars())
    rows = []
    for organisation_id, name, agency, reachable in listed:
        receipt = receipts.get(organisation_id)
        due = open_by(receipt.sent_at, settings) if receipt else None
        rows.append(AgencyReceipt(
            organisation_id=organisation_id, organisation=name,
            agency=agency, version=receipt.version if receipt else None,
            sent_at=receipt.sent_at if receipt else None, delivered=organisation_id in delivered,
            first_opened_at=receipt.first_opened_at if receipt else None,
            first_downloaded_at=receipt.first_downloaded_at if receipt else None,
            open_by=due,
            flagged=bool(receipt and receipt.first_opened_at is None and today > due),
            unreachable=not reachable,
            sent_late=bool(receipt and sent_late(record.discussion_at, receipt.sent_at, settings)),
        ))
    return rows


def _in_force():
    # As the tracker's (app/worklists/tracker.py): the flag for the index, the version exact.
    return and_(RecordReceipt.in_force == true(), RecordReceipt.record_id == StrategyRecord.id,
                RecordReceipt.version == StrategyRecord.latest_final_version,
                RecordReceipt.withdrawn_at.is_(None))


def _unreachable_organisations(session: Session) -> list[int]:
    """The organisations with no address for notices (a handful, from the directory)."""
    return list(session.execute(select(Organisation.id).where(
        ~_reachable(Organisation.id))).scalars())


def _late(cutoff: datetime):
    """Unopened and sent before `cutoff`: the unopened receipts' index's condition."""
    return and_(RecordReceipt.first_opened_at.is_(None), RecordReceipt.withdrawn_at.is_(None),
                RecordReceipt.sent_at < cutoff)


def _not_opened(user: User, today: date):
    cutoff = flag_cutoff(today, get_settings())
    return (select(RecordReceipt.id).join(StrategyRecord, _in_force())
            .where(visible_filter(user), _late(cutoff)))


def _unreachable(user: User, unreachable: list[int]):
    return (select(RecordReceipt.id).join(StrategyRecord, _in_force())
            .where(visible_filter(user), RecordReceipt.organisation_id.in_(unreachable)))


def unreachable_count(session: Session, user: User) -> int:
    """Agencies (record by record) sent a record with no user who has an email address."""
    unreachable = _unreachable_organisations(session)
    return session.execute(select(func.count()).select_from(
        _unreachable(user, unreachable).subquery())).scalar_one() if unreachable else 0


def flag_counts(session: Session, user: User, today: date, cap: int) -> tuple[int, int]:
    """(not opened in time, no one to notify) for the manager's page, each counted no
    further than cap + 1 (db.count_up_to): the same cost at any size."""
    unreachable = _unreachable_organisations(session)
    if not unreachable:
        return count_up_to(session, _not_opened(user, today), cap), 0
    not_opened, unreached = counts_up_to(
        session, [_not_opened(user, today), _unreachable(user, unreachable)], cap)
    return not_opened, unreached


@dataclass(frozen=True)
class Unreached:
    record_id: int
    reference: str
    organisation: str
    sent_at: datetime
    unreachable: bool  # else: not opened in time


def needing_attention(session: Session, user: User, today: date | None = None,
                      limit: int = 20) -> list[Unreached]:
    """The manager's list behind the two counts: agencies not opening in time, or with no
    one to notify; oldest sending first. Each kind is read in sending order from its own
    index, only as far as `limit`, and the two are merged."""
    today = today or uk_today()
    cutoff = flag_cutoff(today, get_settings())
    unreachable = _unreachable_organisations(session)
    statement = (select(RecordReceipt.sent_at, RecordReceipt.id, RecordReceipt.record_id,
                        StrategyRecord.reference, Organisation.name,
                        RecordReceipt.organisation_id)
                 .join(StrategyRecord, _in_force())
                 .join(Organisation, Organisation.id == RecordReceipt.organisation_id)
                 .where(visible_filter(user))
                 .order_by(RecordReceipt.sent_at, RecordReceipt.id).limit(limit))
    found = {row.id: row for row in session.execute(statement.where(_late(cutoff)))}
    if unreachable:
        found |= {row.id: row for row in session.execute(
            statement.where(RecordReceipt.organisation_id.in_(unreachable)))}
    rows = sorted(found.values(), key=lambda row: (row.sent_at, row.id))[:limit]
    return [Unreached(row.record_id, row.reference, row.name, row.sent_at,
                      row.organisation_id in unreachable) for row in rows]
