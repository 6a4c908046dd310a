"""An organisation's named contacts: the people who receive its records by personal link,
without an account (app/links). Managed by administrators, on the organisation's page and
with `python -m app org contact ...`."""


from sqlmodel import Session, select

from app.auth import audit
from app.auth.models import User
from app.clock import utc_now
from app.domain.fields import SHORT_TEXT_MAX
from app.organisations.models import Organisation, OrganisationContact
from app.organisations.service import DirectoryRefused, clean_email


def _text(value: str | None, what: str, required: bool) -> str | None:
    value = " ".join((value or "").split())
    if not value:
        if required:
            raise DirectoryRefused(f"Enter the contact's {what}")
        return None
    if len(value) > SHORT_TEXT_MAX or any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF
                                          for c in value):
        raise DirectoryRefused(f"The {what} must be {SHORT_TEXT_MAX} characters or fewer, "
                               "of ordinary text")
    return value


def create(session: Session, organisation_id: int, *, name: str, role: str | None, email: str,
           secure: bool = False, by: User | None = None, request=None) -> OrganisationContact:
    name = _text(name, "name", True)
    role = _text(role, "role", False)
    address = clean_email(email)
    if address is None:
        raise DirectoryRefused("Enter the contact's email address")
    contact = OrganisationContact(organisation_id=organisation_id, name=name, role=role,
                                  email=address, secure=secure, created_at=utc_now())
    session.add(contact)
    session.commit()
    session.refresh(contact)
    audit.log(session, "contact_created", user=by, request=request,
              detail=f"organisation {organisation_id}: contact {contact.id} {name}"
                     f"{' (secure mailbox)' if secure else ''}")
    return contact


def of(session: Session, organisation_id: int) -> list[OrganisationContact]:
    return list(session.exec(select(OrganisationContact).where(
        OrganisationContact.organisation_id == organisation_id)
        .order_by(OrganisationContact.name, OrganisationContact.id)))


def options(session: Session) -> list[tuple[str, str]]:
    """Every active contact of an active organisation as the distribution form offers them:
    ("ORGANISATION.CONTACT", its label)."""
    rows = session.exec(select(OrganisationContact, Organisation.name).join(
        Organisation, Organisation.id == OrganisationContact.organisation_id).where(
        OrganisationContact.active, Organisation.active)
        .order_by(Organisation.name, OrganisationContact.name, OrganisationContact.id))
    return [(f"{c.organisation_id}.{c.id}",
             f"{org}: {c.name}{f', {c.role}' if c.role else ''} ({c.email})") for c, org in rows]


def get(session: Session, contact_id: int) -> OrganisationContact | None:
    return session.get(OrganisationContact, contact_id) if 0 < contact_id < 2**31 else None


def set_active(session: Session, contact: OrganisationContact, active: bool,
               by: User | None = None, request=None) -> OrganisationContact:
    contact.active = active
    session.add(contact)
    session.commit()
    session.refresh(contact)
    audit.log(session, "contact_changed", user=by, request=request,
              detail=f"organisation {contact.organisation_id}: contact {contact.id} "
                     f"{contact.name} {'active' if active else 'inactive'}")
    return contact
