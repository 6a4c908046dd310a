"""Social-care staff named on a record by who they are, not by how their name was typed.

The chair, the minute-taker and any participant who works in children's social care are
chosen from the service's users: the document holds their user id (`chair_user_id`,
`minute_taker_user_id`, a participant's `user_id`), and `named_staff` fills in the name beside
it from the user on every save, so the printed record and a finalised version keep the name as
it was. People outside the service are still typed. Separation of duties compares these ids
(app/followup/separation.py).
"""

from collections.abc import Iterable

from sqlmodel import Session, col, select

from app.auth.models import User
from app.domain.choices import Agency
from app.domain.schema import StrategyRecordData

# The social-care roles: app.auth.roles.RECORDERS, which sits a layer above this module
# (tests/test_separation.py checks the two agree).
SOCIAL_CARE_ROLES = frozenset({"social_worker", "edt_worker", "manager"})

CHOOSE = {
    "chair_user_id": "Choose the chair from the list of social-care staff, or leave it empty "
                     "and type the chair's name",
    "minute_taker_user_id": "Choose the minute-taker from the list of social-care staff, or "
                            "leave it empty and type their name",
    "user_id": "Choose the member of staff from the list of social-care staff, or leave it "
               "empty and type their name",
}


class UnknownStaff(ValueError):
    """A record names a user who is not active social-care staff (unknown, inactive and not
    already on the record, or another kind of user). `errors` are by field path, like
    ("participants", 2, "user_id"); every such id gets the same words, so an id tells nothing
    of who else uses the service."""

    def __init__(self, errors: dict[tuple, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors

    def form_errors(self) -> dict[str, str]:
        """By form key, like participants-2-user_id."""
        return {"-".join(map(str, path)): message for path, message in self.errors.items()}


def staff_ids(data: StrategyRecordData) -> set[int]:
    """Every user id the record names."""
    header = data.header
    return {i for i in (header.chair_user_id, header.minute_taker_user_id,
                        *(p.user_id for p in data.participants)) if i}


def active_staff(session: Session) -> list[User]:
    """Who the form offers: active social-care users, by name."""
    return list(session.exec(
        select(User).where(col(User.is_active), col(User.role).in_(SOCIAL_CARE_ROLES))
        .order_by(User.display_name, User.id)))


def by_ids(session: Session, ids: Iterable[int]) -> dict[int, User]:
    """The social-care users with these ids (anyone else is left out)."""
    ids = {i for i in ids if 0 < i < 2**31}
    if not ids:
        return {}
    return {u.id: u for u in session.exec(select(User).where(
        col(User.id).in_(ids), col(User.role).in_(SOCIAL_CARE_ROLES)))}


def named_staff(session: Session, data: StrategyRecordData,
                already: Iterable[int] = ()) -> StrategyRecordData:
    """The record with each chosen person's name filled in from their user. An id that is not
    social-care staff, or is inactive and not already on the record (`already`: someone who
    has since left may stay on a draft that named them), is refused with UnknownStaff."""
    ids = staff_ids(data)
    if not ids:
        return data
    found, kept = by_ids(session, ids), set(already)
    errors: dict[tuple, str] = {}

    def usable(path: tuple, user_id: int | None) -> User | None:
        if user_id is None:
            return None
        user = found.get(user_id)
        if user is None or not (user.is_active or user_id in kept):
            errors[path] = CHOOSE[path[-1]]
            return None
        return user

    header, updates = data.header, {}
    for id_field, name_field in (("chair_user_id", "chair"),
                                 ("minute_taker_user_id", "minute_taker")):
        user = usable(("header", id_field), getattr(header, id_field))
        if user is not None:
            updates[name_field] = user.display_name
    participants = []
    for index, row in enumerate(data.participants):
        user = usable(("participants", index, "user_id"), row.user_id)
        participants.append(row if user is None else row.model_copy(update={
            "name": user.display_name, "agency": row.agency or Agency.CSC}))
    if errors:
        raise UnknownStaff(errors)
    return data.model_copy(update={"header": header.model_copy(update=updates),
                                   "participants": participants})
