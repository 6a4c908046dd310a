"""Sending a version to its agencies, and recording that they opened it.

`send_version` runs inside the transaction that finalises (or authorises, with
SEND_ON=authorise) the record: the receipts, the outbox rows and the audit entries commit with
it or not at all. Delivery is the worker's (app/sending/worker.py).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from app.auth import audit
from app.auth.models import AuditEvent, User
from app.clock import utc_now
from app.config import get_settings
from app.organisations.models import Organisation, OrganisationContact
from app.records.models import RecordDistribution, StrategyRecord
from app.sending.link_issue import new_link
from app.sending.link_models import RecipientLink
from app.sending.models import Notification, RecordReceipt

PARTNER = "partner"
# The notice that a further discussion the version schedules is cancelled (Notification.kind).
DISCUSSION_CANCELLED = "discussion_cancelled"


@dataclass(frozen=True)
class Address:
    """Where one organisation's notice goes: one of its named contacts, its own secure address
    (its safeguarding mailbox), or one of its users'. The first two read without an account:
    a version sent to them reaches them as a personal link (app/links)."""

    email: str
    user_id: int | None
    contact_id: int | None = None
    # Who reads by personal link (a contact's name, or the mailbox's); None for a user.
    name: str | None = None


def addresses(session: Session, organisation_ids: list[int],
              chosen: dict[int, list[int]] | None = None) -> dict[int, list[Address]]:
    """Each organisation's notice addresses: the named contacts the record chose for it
    (`chosen`, by organisation) that are still active; otherwise its secure address (its
    safeguarding mailbox) if it has one; otherwise its active named contacts; otherwise
    every active partner user of it who has an email address."""
    found: dict[int, list[Address]] = {org: [] for org in organisation_ids}
    if not organisation_ids:
        return found
    chosen = {org: set(ids) for org, ids in (chosen or {}).items() if ids}
    contacts = session.execute(select(OrganisationContact).where(
        OrganisationContact.organisation_id.in_(organisation_ids),
        OrganisationContact.active).order_by(OrganisationContact.id)).scalars().all()
    for contact in contacts:
        if contact.id in chosen.get(contact.organisation_id, ()):
            found[contact.organisation_id].append(
                Address(contact.email, None, contact.id, contact.name))
    own = session.execute(select(Organisation.id, Organisation.email, Organisation.name).where(
        Organisation.id.in_(organisation_ids), Organisation.email.is_not(None))).all()
    for org, email, name in own:
        if not found[org]:
            found[org].append(Address(email, None, None, f"{name} safeguarding mailbox"))
    unnamed = {org for org, reach in found.items() if not reach}
    for contact in contacts:
        if contact.organisation_id in unnamed:
            found[contact.organisation_id].append(
                Address(contact.email, None, contact.id, contact.name))
    users = session.execute(select(User.organisation_id, User.email, User.id).where(
        User.role == PARTNER, User.organisation_id.in_(organisation_ids),
        User.email.is_not(None), User.is_active).order_by(User.id)).all()
    for org, email, user_id in users:
        if not any(a.user_id is None for a in found[org]):
            found[org].append(Address(email, user_id))
    return found


def holders(session: Session, receipt: RecordReceipt, reach: list[Address]) -> list[Address]:
    """Who is told something about a version sent (withdrawn, superseded, its further
    discussion cancelled): the named people it reached by personal link, each with a new
    link to it, and the organisation's users. If it reached no one by name, the
    organisation's notice addresses as they are now (without a link)."""
    named = session.execute(select(RecipientLink.email, RecipientLink.contact_id,
                                   RecipientLink.name).where(
        RecipientLink.receipt_id == receipt.id, RecipientLink.revoked_at.is_(None))
        .order_by(RecipientLink.id)).all()
    people = list({email: Address(email, None, contact, name)
                   for email, contact, name in named}.values())
    return [*people, *(a for a in reach if a.user_id is not None)] if people else [
        Address(a.email, a.user_id) for a in reach]


def _names(session: Session, organisation_ids) -> dict[int, tuple[str, str]]:
    rows = session.execute(select(Organisation.id, Organisation.name, Organisation.agency).where(
        Organisation.id.in_(list(organisation_ids)))).all()
    return {org: (name, agency) for org, name, agency in rows}


def _audit(session: Session, action: str, by: User | None, record_id: int, detail: str) -> None:
    # Added to the caller's transaction (audit.log commits, which would split it).
    session.add(AuditEvent(
        at=utc_now(), user_id=by.id if by else None,
        username=audit.storable(by.username, audit.USERNAME_MAX) if by else None,
        action=action, record_id=record_id, detail=audit.storable(detail, audit.DETAIL_MAX)))


@dataclass(frozen=True)
class Sent:
    """A version sent to an organisation, as social care sees it on the record's page."""

    version: int
    organisation_id: int
    organisation: str
    sent_at: datetime
    first_opened_at: datetime | None
    withdrawn_at: datetime | None
    withdrawn_reason: str | None


def sent_versions(session: Session, record_id: int) -> list[Sent]:
    rows = session.execute(
        select(RecordReceipt.version, RecordReceipt.organisation_id, Organisation.name,
               RecordReceipt.sent_at, RecordReceipt.first_opened_at, RecordReceipt.withdrawn_at,
               RecordReceipt.withdrawn_reason)
        .join(Organisation, Organisation.id == RecordReceipt.organisation_id)
        .where(RecordReceipt.record_id == record_id)
        .order_by(RecordReceipt.version.desc(), Organisation.name)).all()
    return [Sent(*row) for row in rows]


def notify(session: Session, record_id: int, version: int, organisation_id: int, agency: str,
           kind: str, at: datetime, reach: list[Address],
           receipt: RecordReceipt | None = None) -> None:
    """A notice to each address. With the `receipt` of a version (sent now, or one the notice
    is about), a named contact's (or the mailbox's) notice carries a personal link to it."""
    for address in reach:
        notification = Notification(
            record_id=record_id, version=version, organisation_id=organisation_id,
            agency=agency, kind=kind, recipient_id=address.user_id, email=address.email,
            next_attempt_at=at, created_at=at)
        session.add(notification)
        if receipt is not None and address.name is not None:
            session.flush()  # the notice's id, for its link
            new_link(session, receipt, notification, address.name, address.contact_id, at)


def _with_requester(session: Session, record: StrategyRecord, listed: dict,
                    reach: dict[int, list[Address]]) -> None:
    """Whoever requested the discussion is told when the record is sent to their organisation,
    even where it is reached through its named contacts or its mailbox (not them)."""
    requester = session.get(User, record.requester_id) if record.requester_id else None
    if requester is None or not (requester.is_active and requester.email):
        return
    org = requester.organisation_id
    if org in listed and all(a.user_id != requester.id and a.email != requester.email
                             for a in reach.get(org, [])):
        reach[org] = [*reach.get(org, []), Address(requester.email, requester.id)]


def send_version(session: Session, record: StrategyRecord, at: datetime, by: User | None) -> None:
    """Send the record's current version to every organisation on its distribution list: a
    receipt per organisation (what lets its users read this version) and a notice to each of
    its addresses. Organisations that had an earlier version but are no longer on the list
    are told a corrected version exists, nothing more: they keep the version they had."""
    version = record.version
    listed = dict(session.execute(select(RecordDistribution.organisation_id,
                                         RecordDistribution.agency).where(
        RecordDistribution.record_id == record.id)).all())
    earlier = set(session.execute(select(RecordReceipt.organisation_id).where(
        RecordReceipt.record_id == record.id, RecordReceipt.version < version,
        RecordReceipt.withdrawn_at.is_(None))).scalars())
    everyone = sorted(set(listed) | earlier)
    chosen = {r.organisation_id: r.contact_ids for r in record.content.distribution}
    reach, names = addresses(session, everyone, chosen), _names(session, everyone)
    _with_requester(session, record, listed, reach)
    discussion_on = record.discussion_at.date() if record.discussion_at else None
    made = {}
    for org, agency in sorted(listed.items()):
        made[org] = RecordReceipt(record_id=record.id, version=version, organisation_id=org,
                                  agency=agency, sent_at=at, discussion_on=discussion_on,
                                  in_force=version == record.latest_final_version)
        session.add(made[org])
    session.flush()  # the receipts' ids, for the personal links
    for org in everyone:
        # Had an earlier version: a correction if this one is sent to them too, otherwise only
        # word that theirs is superseded (the later version is not theirs to read).
        kind = ("sent" if org not in earlier else "corrected" if org in listed
                else "superseded")
        name, agency = names.get(org, (f"organisation {org}", listed.get(org, "other")))
        if kind == "superseded":  # those it reached, with a link to the version they keep
            kept = _newest_receipt(session, record.id, org, version)
            reach[org] = holders(session, kept, reach[org]) if kept else reach[org]
            made[org] = kept
        notify(session, record.id, version, org, agency, kind, at, reach[org], made.get(org))
        what = {"sent": "record", "corrected": "corrected version",
                "superseded": "notice that their version is superseded"}[kind]
        sent = (f"{len(reach[org])} notification(s) queued" if reach[org]
                else "unreachable: it has no address and no user with an email address")
        named = [a.name for a in reach[org] if a.name and made.get(org)]
        if named:
            sent += "; personal links for " + ", ".join(named)
        _audit(session, "record_sent", by, record.id, f"version {version} {what} sent to {name}: {sent}")


def _newest_receipt(session: Session, record_id: int, org: int,
                    before: int) -> RecordReceipt | None:
    return session.execute(select(RecordReceipt).where(
        RecordReceipt.record_id == record_id, RecordReceipt.organisation_id == org,
        RecordReceipt.version < before, RecordReceipt.withdrawn_at.is_(None))
        .order_by(RecordReceipt.version.desc()).limit(1)).scalar_one_or_none()


def on_discussion_cancelled(session: Session, record: StrategyRecord, at: datetime,
                            by: User | None) -> None:
    """Tell each organisation that was sent the record's current version (and may still read
    it) that the further strategy discussion it schedules is cancelled: a notice to each of its
    addresses, in the transaction that cancels it. Organisations never sent this version are
    not told: the record is not theirs to read."""
    received = session.execute(select(RecordReceipt).where(
        RecordReceipt.record_id == record.id, RecordReceipt.version == record.version,
        RecordReceipt.withdrawn_at.is_(None)).order_by(RecordReceipt.organisation_id)).scalars()
    received = list(received)
    organisations = [r.organisation_id for r in received]
    reach, names = addresses(session, organisations), _names(session, organisations)
    for receipt in received:
        org, agency = receipt.organisation_id, receipt.agency
        reach[org] = holders(session, receipt, reach[org])
        notify(session, record.id, record.version, org, agency, DISCUSSION_CANCELLED, at,
               reach[org], receipt)
        told = (f"{len(reach[org])} notification(s) queued" if reach[org]
                else "unreachable: it has no address and no user with an email address")
        _audit(session, "record_sent", by, record.id,
               f"version {record.version} notice that the further discussion is cancelled sent "
               f"to {names.get(org, (f'organisation {org}',))[0]}: {told}")


def withdraw(session: Session, record: StrategyRecord, version: int, organisation_id: int,
             reason: str, by: User) -> RecordReceipt:
    """Withdraw a version from an organisation it was sent to in error: its users can no
    longer read it, they are told so, and the log says who did it and why. LookupError if it
    was not sent to them (or is already withdrawn)."""
    receipt = session.execute(select(RecordReceipt).where(
        RecordReceipt.record_id == record.id, RecordReceipt.version == version,
        RecordReceipt.organisation_id == organisation_id,
        RecordReceipt.withdrawn_at.is_(None))).scalar_one_or_none()
    if receipt is None:
        raise LookupError("That version was not sent to that organisation, or was withdrawn")
    at = utc_now()
    receipt.withdrawn_at, receipt.withdrawn_by_id, receipt.withdrawn_reason = at, by.id, reason
    session.add(receipt)
    reach = holders(session, receipt, addresses(session, [organisation_id])[organisation_id])
    notify(session, record.id, version, organisation_id, receipt.agency, "withdrawn", at, reach,
           receipt)
    name = _names(session, [organisation_id]).get(organisation_id, ("?", ""))[0]
    _audit(session, "withdrawn", by, record.id,
           f"version {version} withdrawn from {name} (sent in error): {reason}")
    session.commit()
    return receipt


def on_finalised(session: Session, record: StrategyRecord, at: datetime, by: User | None) -> None:
    if get_settings().send_on == "finalise":
        send_version(session, record, at, by)


def on_authorised(session: Session, record: StrategyRecord, at: datetime, by: User | None) -> None:
    if get_settings().send_on == "authorise":
        send_version(session, record, at, by)


# --- receipt ---------------------------------------------------------------------------------


def _first(session: Session, user: User, record_id: int, version: int, column: str,
           action: str, request=None) -> bool:
    """Fill a receipt's first-opened/first-downloaded time if this is the organisation's
    first; one indexed UPDATE, so two of its people opening at once set it once."""
    if user.role != PARTNER or user.organisation_id is None:
        return False
    receipt_column = getattr(RecordReceipt, column)
    result = session.execute(update(RecordReceipt).where(
        RecordReceipt.record_id == record_id, RecordReceipt.version == version,
        RecordReceipt.organisation_id == user.organisation_id, receipt_column.is_(None),
        RecordReceipt.withdrawn_at.is_(None),
    ).values({column: utc_now()}))
    if result.rowcount != 1:
        return False  # nothing written: the request's transaction carries on
    session.commit()
    audit.log(session, action, user=user, record_id=record_id,
              detail=f"version {version}, first for organisation {user.organisation_id}",
              request=request)
    return True


def mark_opened(session: Session, user: User, record_id: int, version: int, request=None) -> bool:
    return _first(session, user, record_id, version, "first_opened_at", "receipt_opened", request)


def mark_downloaded(session: Session, user: User, record_id: int, version: int,
                    request=None, *, opened_before: bool = False) -> bool:
    # A download is an opening too, if the page was never opened (a link straight to the PDF).
    if not opened_before:
        mark_opened(session, user, record_id, version, request)
    return _first(session, user, record_id, version, "first_downloaded_at",
                  "receipt_downloaded", request)


def new_to(session: Session, user: User, record_ids: list[int]) -> set[int]:
    """Which of these records this partner's organisation has a version of not yet opened."""
    if user.role != PARTNER or user.organisation_id is None or not record_ids:
        return set()
    return set(session.execute(
        select(RecordReceipt.record_id).where(
            RecordReceipt.organisation_id == user.organisation_id,
            RecordReceipt.record_id.in_(record_ids), RecordReceipt.withdrawn_at.is_(None),
            RecordReceipt.first_opened_at.is_(None))).scalars())
