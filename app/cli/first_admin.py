"""python -m app first-admin: the first administrator, from the environment, so a container
deployment starts with someone who can sign in and create everyone else.

FIRST_ADMIN_USERNAME, FIRST_ADMIN_PASSWORD (or FIRST_ADMIN_PASSWORD_FILE, a secret's file)
and FIRST_ADMIN_NAME. Idempotent: run on every deployment, it creates the user once and never
changes an existing one (a password changed since is kept). With no username set it does
nothing, so a deployment that manages its users otherwise can run it too.
"""

import os
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.auth import service
from app.auth.roles import Role
from app.db import get_engine
from app.organisations.accounts import create_user


def _password(environ: Mapping[str, str]) -> str:
    if path := environ.get("FIRST_ADMIN_PASSWORD_FILE"):
        try:
            return Path(path).read_text().strip()
        except OSError as error:
            raise SystemExit(f"Cannot read FIRST_ADMIN_PASSWORD_FILE: {error.strerror}") from None
    return environ.get("FIRST_ADMIN_PASSWORD") or ""


def run(environ: Mapping[str, str] = os.environ) -> str:
    username = (environ.get("FIRST_ADMIN_USERNAME") or "").strip().lower()
    if not username:
        return "FIRST_ADMIN_USERNAME is not set: no administrator created."
    with Session(get_engine()) as session:
        existing = service.get_user(session, username)
        if existing is not None:
            if existing.role != Role.ADMIN:
                raise SystemExit(f"A user called {username} exists and is not an administrator.")
            return f"{username} already exists: nothing changed."
        password = _password(environ)
        if not password:
            raise SystemExit("Set FIRST_ADMIN_PASSWORD (or FIRST_ADMIN_PASSWORD_FILE).")
        try:
            create_user(session, username=username, role=Role.ADMIN,
                                display_name=environ.get("FIRST_ADMIN_NAME") or "Administrator",
                                password=password)
        except ValueError as refusal:  # a password the service refuses: say why
            raise SystemExit(str(refusal)) from None
        except IntegrityError:  # another run created it first
            return f"{username} already exists: nothing changed."
    return f"Created the administrator {username}."
