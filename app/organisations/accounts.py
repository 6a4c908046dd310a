"""Creating a user account. A partner-agency user belongs to exactly one active organisation
of the directory, so this sits above both the accounts (app/auth) and the directory."""

from datetime import datetime

from sqlmodel import Session

from app.auth import audit, passwords
from app.auth.models import User
from app.auth.roles import RECORDERS, Role
from app.clock import utc_now
from app.organisations.models import Organisation


def _now() -> datetime:
    return utc_now()


def create_user(session: Session, *, username: str, display_name: str, role: Role, password: str,
                organisation_id: int | None = None, team: str | None = None) -> User:
    problem = passwords.password_problem(password)
    if problem:
        raise ValueError(problem)
    organisation = None
    if role == Role.PARTNER:
        organisation = session.get(Organisation, organisation_id) if organisation_id else None
        if organisation is None:
            raise ValueError("A partner-agency user belongs to exactly one organisation: give "
                             "--org with an id from 'python -m app org list'")
        if not organisation.active:
            raise ValueError(f"{organisation.name} is no longer active")
    elif organisation_id is not None:
        raise ValueError("Only partner-agency users belong to an organisation")
    if role in RECORDERS and not (team or "").strip():
        raise ValueError("Social-care staff belong to a team: give --team")
    user = User(username=username.strip().lower(), display_name=display_name, role=role.value,
                organisation_id=organisation.id if organisation else None,
                agency=organisation.agency if organisation else None, team=team,
                password_hash=passwords.hash_password(password), created_at=_now())
    session.add(user)
    session.commit()
    session.refresh(user)
    audit.log(session, "user_created", user=user, detail=f"role {role.value}")
    return user
