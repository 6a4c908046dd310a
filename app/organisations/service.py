"""The directory's one home: creating, listing and changing organisations, and naming a
record's recipients from it.

A record's document names each recipient by organisation id; `named_recipients` fills in the
organisation's name and kind of agency from the directory on every save, so a finalised
version keeps them exactly as they were when it was sent (the directory may change later).
"""

from collections.abc import Iterable

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.auth import audit
from app.auth.models import User
from app.clock import utc_now
from app.domain.choices import Agency
from app.domain.fields import SHORT_TEXT_MAX
from app.domain.schema import Recipient, StrategyRecordData
from app.organisations.models import Organisation, OrganisationContact

# Children's social care owns the record; it is never a partner organisation.
PARTNER_AGENCIES = tuple(a for a in Agency if a != Agency.CSC)


class DirectoryRefused(ValueError):
    """What the directory will not take: said to the person in these words."""


class UnknownRecipient(DirectoryRefused):
    """A record names an organisation that does not exist, or is no longer active."""


def clean_email(email: str | None) -> str | None:
    email = (email or "").strip() or None
    if email is None:
        return None
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise DirectoryRefused(f"{email!r} is not an email address: {error}") from None


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DirectoryRefused("Enter the organisation's name")
    if len(name) > SHORT_TEXT_MAX:
        raise DirectoryRefused(f"The name must be {SHORT_TEXT_MAX} characters or fewer")
    if any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in name):
        raise DirectoryRefused("The name holds characters that cannot be stored")
    return name


def _agency(agency: str) -> Agency:
    try:
        chosen = Agency(agency)
    except ValueError:
        raise DirectoryRefused("Choose the kind of agency from the list") from None
    if chosen == Agency.CSC:
        raise DirectoryRefused("Children's social care owns the record: it is not a partner "
                               "organisation")
    return chosen


def _name_taken(session: Session, name: str, but: int | None = None) -> bool:
    query = select(Organisation.id).where(func.lower(Organisation.name) == name.lower())
    if but is not None:
        query = query.where(Organisation.id != but)
    return session.exec(query).first() is not None


def create(session: Session, *, name: str, agency: str, email: str | None = None,
           by: User | None = None, request=None) -> Organisation:
    name, kind, email = _clean_name(name), _agency(agency), clean_email(email)
    if _name_taken(session, name):
        raise DirectoryRefused(f"There is already an organisation called {name}")
    organisation = Organisation(name=name, agency=kind.value, email=email,
                                created_at=utc_now())
    session.add(organisation)
    session.commit()
    session.refresh(organisation)
    audit.log(session, "organisation_created", user=by, request=request,
              detail=f"organisation {organisation.id}: {name} ({kind.value})")
    return organisation


def change(session: Session, organisation: Organisation, *, name: str, email: str | None,
           active: bool, by: User | None = None, request=None) -> Organisation:
    """Rename it, set its address, or (de)activate it. Its kind of agency never changes: what
    was sent to it was sent to that kind of agency."""
    name, email = _clean_name(name), clean_email(email)
    if _name_taken(session, name, but=organisation.id):
        raise DirectoryRefused(f"There is already an organisation called {name}")
    organisation.name, organisation.email, organisation.active = name, email, active
    session.add(organisation)
    session.commit()
    session.refresh(organisation)
    audit.log(session, "organisation_changed", user=by, request=request,
              detail=f"organisation {organisation.id}: {name}, "
                     f"{'active' if active else 'inactive'}, address {'set' if email else 'none'}")
    return organisation


def get(session: Session, organisation_id: int) -> Organisation | None:
    if not 0 < organisation_id < 2**31:
        return None
    return session.get(Organisation, organisation_id)


def every(session: Session, *, active_only: bool = False) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.agency, Organisation.name, Organisation.id)
    if active_only:
        query = query.where(col(Organisation.active))
    return list(session.exec(query))


def by_ids(session: Session, ids: Iterable[int]) -> dict[int, Organisation]:
    ids = {i for i in ids if 0 < i < 2**31}
    if not ids:
        return {}
    return {o.id: o for o in session.exec(select(Organisation).where(col(Organisation.id).in_(ids)))}


def _check_contacts(session: Session, data: StrategyRecordData) -> None:
    """Each recipient's chosen named contacts must be its own, and active."""
    wanted = {c: r.organisation_id for r in data.distribution for c in r.contact_ids}
    if not wanted:
        return
    rows = session.execute(select(OrganisationContact.id, OrganisationContact.organisation_id)
                           .where(OrganisationContact.id.in_(list(wanted)),
                                  OrganisationContact.active)).all()
    theirs = {contact: org for contact, org in rows}
    wrong = sorted(c for c, org in wanted.items() if theirs.get(c) != org)
    if wrong:
        raise UnknownRecipient("Choose each organisation's contacts from its list: "
                               + ", ".join(map(str, wrong)) + " is not an active contact of it")


def named_recipients(session: Session, data: StrategyRecordData,
                     already: Iterable[int] = ()) -> StrategyRecordData:
    """The record with each recipient's name and agency taken from the directory. An
    organisation that is unknown, or inactive and not already on the record (`already`),
    is refused."""
    named = [row.organisation_id for row in (*data.participants, *data.agency_positions)
             if row.organisation_id]
    if not data.distribution and not named:
        return data
    found = by_ids(session, [*named, *(r.organisation_id for r in data.distribution)])
    unknown = sorted({i for i in named if i not in found})
    if unknown:
        raise UnknownRecipient("Choose organisations from the directory's list: "
                               + ", ".join(map(str, unknown)) + " is not one of them")
    kept = set(already)
    refused = [r.organisation_id for r in data.distribution
               if r.organisation_id not in found
               or not (found[r.organisation_id].active or r.organisation_id in kept)]
    if refused:
        raise UnknownRecipient(
            "Choose organisations from the list: "
            + ", ".join(str(i) for i in refused) + " cannot receive records")
    _check_contacts(session, data)
    recipients = [Recipient(organisation_id=o.id, name=o.name, agency=Agency(o.agency),
                            contact_ids=list(dict.fromkeys(r.contact_ids)))
                  for o, r in ((found[r.organisation_id], r) for r in data.distribution)]

    directory_names = {o.name for o in every(session)} if named else set()

    def named_row(row):
        # A row that picked its organisation from the directory reads as its name (unless
        # something else was typed): printed and finalised as it was.
        organisation = found.get(row.organisation_id) if row.organisation_id else None
        if organisation is None or (row.organisation and row.organisation not in directory_names):
            return row
        return row.model_copy(update={"organisation": organisation.name,
                                      "agency": row.agency or Agency(organisation.agency)})

    return data.model_copy(update={
        "distribution": recipients,
        "participants": [named_row(p) for p in data.participants],
        "agency_positions": [named_row(p) for p in data.agency_positions]})
