"""Command-line directory management: python -m app org create | list | set | contact-add |
contacts | contact-set"""

from sqlmodel import Session

from app.db import get_engine
from app.organisations import contacts, service
from app.organisations.service import PARTNER_AGENCIES, DirectoryRefused


def add_commands(commands) -> None:
    org = commands.add_parser("org", help="the directory of partner organisations").add_subparsers(
        dest="action", required=True)
    create = org.add_parser("create", help="add an organisation; prints its id")
    create.add_argument("name")
    create.add_argument("--agency", required=True, choices=[a.value for a in PARTNER_AGENCIES])
    create.add_argument("--email", help="its secure address for notices of records sent to it")
    org.add_parser("list", help="every organisation: id, kind of agency, name, address, active")
    change = org.add_parser("set", help="rename, set the address, or (de)activate one")
    change.add_argument("org_id", type=int)
    change.add_argument("--name")
    change.add_argument("--email", help='its address ("" clears it)')
    state = change.add_mutually_exclusive_group()
    state.add_argument("--active", dest="active", action="store_true", default=None)
    state.add_argument("--inactive", dest="active", action="store_false")
    add = org.add_parser("contact-add", help="add a named contact (reads by personal link)")
    add.add_argument("org_id", type=int)
    add.add_argument("name")
    add.add_argument("email")
    add.add_argument("--role")
    add.add_argument("--secure", action="store_true", help="a secure mailbox (police, NHS)")
    org.add_parser("contacts", help="an organisation's named contacts").add_argument(
        "org_id", type=int)
    one = org.add_parser("contact-set", help="(de)activate a named contact")
    one.add_argument("contact_id", type=int)
    flag = one.add_mutually_exclusive_group(required=True)
    flag.add_argument("--active", dest="active", action="store_true")
    flag.add_argument("--inactive", dest="active", action="store_false")


def run(args) -> str:
    try:
        with Session(get_engine()) as session:
            return _run(session, args)
    except DirectoryRefused as refused:
        raise SystemExit(str(refused)) from None


def _run(session: Session, args) -> str:
    if args.action == "create":
        return str(service.create(session, name=args.name, agency=args.agency,
                                  email=args.email).id)
    if args.action == "list":
        rows = [f"{o.id}\t{o.agency}\t{o.name}\t{o.email or '-'}\t"
                f"{'active' if o.active else 'inactive'}" for o in service.every(session)]
        return "\n".join(["id\tagency\tname\temail\tstate", *rows])
    if args.action == "contact-set":
        contact = contacts.get(session, args.contact_id)
        if contact is None:
            raise SystemExit(f"No contact {args.contact_id}")
        contact = contacts.set_active(session, contact, args.active)
        return f"{contact.id}\t{contact.name}\t{'active' if contact.active else 'inactive'}"
    organisation = service.get(session, args.org_id)
    if organisation is None:
        raise SystemExit(f"No organisation {args.org_id}")
    if args.action == "contact-add":
        return str(contacts.create(session, organisation.id, name=args.name, role=args.role,
                                   email=args.email, secure=args.secure).id)
    if args.action == "contacts":
        rows = [f"{c.id}\t{c.name}\t{c.role or '-'}\t{c.email}\t"
                f"{'secure' if c.secure else '-'}\t{'active' if c.active else 'inactive'}"
                for c in contacts.of(session, organisation.id)]
        return "\n".join(["id\tname\trole\temail\tsecure\tstate", *rows])
    if organisation is None:
        raise SystemExit(f"No organisation {args.org_id}")
    organisation = service.change(
        session, organisation, name=args.name if args.name is not None else organisation.name,
        email=args.email if args.email is not None else organisation.email,
        active=organisation.active if args.active is None else args.active)
    return f"{organisation.id}\t{organisation.name}\t{'active' if organisation.active else 'inactive'}"
