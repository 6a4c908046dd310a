"""Asking an agency for its part before a strategy discussion, by personal link.

Social care asks one organisation's contact (a named contact, or its safeguarding mailbox)
for information by a date. The email carries a personal link with no receipt: it reads no
version. It opens as every personal link does (app/links/service.py: the link page, a
one-time code, a short session), and the session reaches only this request's form.

What the contact sends is stored once, as received (`InformationRequest.contribution`, never
changed: a conditional UPDATE writes it only while it is empty), then put into the draft as
that agency's position and a participant who contributed by email, saying who sent it and
when. The recorder may edit those rows; the record's PDF prints the contribution as received.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlmodel import Session

from app.auth import audit
from app.auth.models import User
from app.clock import utc_now
from app.config import get_settings
from app.domain.choices import ContributionMode, JoinBy, Position, YesNo
from app.domain.contribution import AgencyContribution
from app.domain.schema import StrategyRecordData, uk_now
from app.followup import lifecycle
from app.organisations.models import Organisation, OrganisationContact
from app.records import service as records
from app.records.display import as_text
from app.records.models import StrategyRecord
from app.sending.link_models import InformationRequest, RecipientLink
from app.sending.models import Notification
from app.visibility import record_filter

KIND = "information_request"  # Notification.kind
LATEST_NEEDED_BY_DAYS = 90


class Refused(ValueError):
    """A request that cannot be made as asked: `errors` are the form's fields to fix."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Askable:
    """Someone a request can go to, as the form offers them: "org-ID" (the organisation's
    safeguarding mailbox) or "contact-ID"."""

    value: str
    organisation: str
    label: str


def choices(session: Session) -> list[Askable]:
    """Every active contact and safeguarding mailbox in the directory, by organisation."""
    found = []
    organisations = session.execute(select(Organisation).where(
        Organisation.active).order_by(Organisation.name, Organisation.id)).scalars().all()
    people = {}
    for contact in session.execute(select(OrganisationContact).where(
            OrganisationContact.active).order_by(OrganisationContact.name)).scalars():
        people.setdefault(contact.organisation_id, []).append(contact)
    for org in organisations:
        if org.email:
            found.append(Askable(f"org-{org.id}", org.name,
                                f"{org.name}: safeguarding mailbox ({org.email})"))
        for c in people.get(org.id, []):
            role = f", {c.role}" if c.role else ""
            found.append(Askable(f"contact-{c.id}", org.name, f"{org.name}: {c.name}{role} ({c.email})"))
    return found


def _recipient(session: Session, chosen: str) -> tuple[Organisation, OrganisationContact | None]:
    kind, _, number = (chosen or "").partition("-")
    key = int(number) if number.isdigit() and len(number) < 10 else 0
    if kind == "contact" and key:
        contact = session.get(OrganisationContact, key)
        if contact is not None and contact.active:
            org = session.get(Organisation, contact.organisation_id)
            if org is not None and org.active:
                return org, contact
    if kind == "org" and key:
        org = session.get(Organisation, key)
        if org is not None and org.active and org.email:
            return org, None
    raise LookupError("Choose who to ask")


def ask(session: Session, record: StrategyRecord, chosen: str, needed_by: date | None, by: User,
        request=None, *, date_problem: str | None = None) -> InformationRequest:
    """Email a personal link asking for the agency's information by `needed_by`. Refused
    (every problem at once) if the person or the date will not do; `date_problem` is what
    was wrong with the date as typed, if it could not be read."""
    errors, org, contact = {}, None, None
    try:
        org, contact = _recipient(session, chosen)
    except LookupError as problem:
        errors["recipient"] = str(problem)
    today = uk_now().date()
    if date_problem or needed_by is None:
        errors["needed_by"] = date_problem or "Enter the date the information is needed by"
    elif not today <= needed_by <= today + timedelta(days=LATEST_NEEDED_BY_DAYS):
        errors["needed_by"] = ("The date it is needed by must be today or within "
                               f"{LATEST_NEEDED_BY_DAYS} days")
    if errors:
        raise Refused(errors)
    now = utc_now()
    name = contact.name if contact else f"{org.name} safeguarding mailbox"
    email = contact.email if contact else org.email
    notification = Notification(record_id=record.id, version=record.version,
                                organisation_id=org.id, agency=org.agency, kind=KIND,
                                email=email, next_attempt_at=now, created_at=now)
    session.add(notification)
    session.flush()
    link = RecipientLink(record_id=record.id, version=record.version, organisation_id=org.id,
                         contact_id=contact.id if contact else None, name=name, email=email,
                         notification_id=notification.id, sent_at=now,
                         expires_at=now + timedelta(days=get_settings().link_expiry_days))
    session.add(link)
    session.flush()
    asked = InformationRequest(record_id=record.id, link_id=link.id, organisation_id=org.id,
                               agency=org.agency, organisation=org.name, needed_by=needed_by,
                               requested_at=now, requested_by_id=by.id,
                               requested_by=by.display_name or by.username)
    session.add(asked)
    session.commit()
    audit.log(session, "information_requested", user=by, record_id=record.id, request=request,
              detail=f"information from {org.name} asked of {name} by {as_text(needed_by)}")
    return asked


# --- what social care sees ------------------------------------------------------------------


@dataclass(frozen=True)
class Asked:
    request: InformationRequest
    link: RecipientLink
    overdue: bool


def for_record(session: Session, record_id: int) -> list[Asked]:
    today = uk_now().date()
    rows = session.execute(select(InformationRequest, RecipientLink).join(
        RecipientLink, RecipientLink.id == InformationRequest.link_id).where(
        InformationRequest.record_id == record_id).order_by(InformationRequest.id)).all()
    return [Asked(r, link, r.received_at is None and link.revoked_at is None
                  and r.needed_by < today) for r, link in rows]


def awaited_overdue(user: User, limit: int = 50):
    """The requests not received by their date, on records `user` may see, oldest first."""
    return (select(InformationRequest, RecipientLink.name, StrategyRecord.reference)
            .join(RecipientLink, RecipientLink.id == InformationRequest.link_id)
            .join(StrategyRecord, StrategyRecord.id == InformationRequest.record_id)
            .where(InformationRequest.received_at.is_(None),
                   InformationRequest.cancelled_at.is_(None),
                   InformationRequest.needed_by < uk_now().date(),
                   RecipientLink.revoked_at.is_(None), record_filter(user))
            .order_by(InformationRequest.needed_by, InformationRequest.id).limit(limit))


def overdue(session: Session, user: User, limit: int = 50) -> list:
    return list(session.execute(awaited_overdue(user, limit)).all())


def of_link(session: Session, link_id: int) -> InformationRequest | None:
    return session.execute(select(InformationRequest).where(
        InformationRequest.link_id == link_id)).scalar_one_or_none()


# --- receiving ------------------------------------------------------------------------------


def receive(session: Session, asked: InformationRequest, link: RecipientLink,
            sent: AgencyContribution, request=None) -> bool:
    """Keep the contribution as received, then put it into the draft; False if one was
    already received for this request (it is never replaced)."""
    now = utc_now()
    stored = session.execute(update(InformationRequest).where(
        InformationRequest.id == asked.id, InformationRequest.received_at.is_(None)).values(
        received_at=now, contribution=sent.model_dump(mode="json")))
    session.commit()
    who = audit.storable(f"{link.name} (personal link)", audit.USERNAME_MAX)
    if stored.rowcount != 1:
        audit.log(session, "contribution_refused", username=who, record_id=asked.record_id,
                  detail=f"{asked.organisation}: a contribution was already received",
                  request=request)
        return False
    into = _into_draft(session, asked, link, sent)
    if into is not None:
        session.execute(update(InformationRequest).where(InformationRequest.id == asked.id)
                        .values(into_version=into))
        session.commit()
    where = f"into the draft (version {into})" if into else "not into the record (no draft)"
    audit.log(session, "contribution_received", username=who, record_id=asked.record_id,
              detail=f"{asked.organisation}: contribution of {sent.name} received, {where}",
              request=request)
    return True


def _position_text(sent: AgencyContribution, link: RecipientLink, at: datetime) -> str:
    known = "Yes" if sent.known == YesNo.YES else "No"
    lines = [f"Sent by {sent.name} ({sent.role}) by email on {as_text(at)}."]
    if sent.concerns:
        lines.append(sent.concerns)
    lines.append(f"Known to the agency: {known}.")
    lines.append(f"What the agency knows of the child and family: {sent.knowledge}")
    join = (f"Yes, {JoinBy(sent.join_by).label.lower()}" if sent.can_join == YesNo.YES
            else "No")
    lines.append(f"Can join the discussion: {join}.")
    return "\n".join(lines)


def _into_draft(session: Session, asked: InformationRequest, link: RecipientLink,
                sent: AgencyContribution) -> int | None:
    """The draft's version it went into, or None (no draft, or no room for it)."""
    at = uk_now()
    for _ in range(3):  # a recorder's save may race this one: read again and retry
        session.expire_all()
        record = records.get_record(session, asked.record_id)
        if record is None or not record.is_editable:
            return None
        data = record.content.model_dump(mode="json")
        position = {"agency": asked.agency, "organisation_id": asked.organisation_id,
                    "organisation": asked.organisation, "position": Position(sent.position).value,
                    "concerns": _position_text(sent, link, at)}
        rows = data["agency_positions"]
        same = next((i for i, row in enumerate(rows)
                     if row.get("organisation_id") == asked.organisation_id), None)
        if same is None:
            rows.append(position)
        else:
            rows[same] = position
        data["participants"].append({
            "name": sent.name, "agency": asked.agency, "organisation_id": asked.organisation_id,
            "organisation": asked.organisation, "role": sent.role,
            "mode": ContributionMode.EMAIL_OUTSIDE.value, "phone": sent.phone,
            "email": link.email, "contributed_at": at.isoformat()})
        try:
            updated = StrategyRecordData.model_validate(data)
            lifecycle.save_record(session, record=record, data=updated,
                                expected_revision=record.revision)
        except records.StaleRecord:
            session.rollback()
            continue
        except (ValidationError, records.NotEditable):
            session.rollback()
            return None
        return record.version
    return None
