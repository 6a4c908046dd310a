"""Command-line user and token management: python -m app user … / token …"""

import getpass
import os

from sqlmodel import Session

from app.auth import service
from app.auth.roles import Role
from app.db import get_engine
from app.organisations import accounts


def add_commands(commands) -> None:
    user = commands.add_parser("user", help="create users and reset passwords").add_subparsers(
        dest="action", required=True)
    create = user.add_parser("create", help="create a user (password from STRATEGY_PASSWORD or a prompt)")
    create.add_argument("username")
    create.add_argument("--name", required=True, help="the name people see")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--org", type=int, metavar="ORG_ID",
                        help="a partner-agency user's organisation (python -m app org list)")
    create.add_argument("--team", help="the social-care team, for social-care staff")
    create.add_argument("--email", help="where a partner-agency user is told of records sent")
    set_email = user.add_parser("set-email", help="set (or with \"\" clear) a user's email address")
    set_email.add_argument("username")
    set_email.add_argument("email")
    reset = user.add_parser("reset-password", help="set a new password and end the user's sessions")
    reset.add_argument("username")

    token = commands.add_parser("token", help="personal API tokens").add_subparsers(
        dest="action", required=True)
    make = token.add_parser("create", help="create a token; it is shown once")
    make.add_argument("username")
    make.add_argument("--name", default="API token")
    revoke = token.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id", type=int)


def _password() -> str:
    return os.environ.get("STRATEGY_PASSWORD") or getpass.getpass("Password: ")


def _existing_user(session: Session, username: str):
    user = service.get_user(session, username)
    if user is None:
        raise SystemExit(f"No user called {username}")
    return user


def run(args) -> str:
    try:
        with Session(get_engine()) as session:
            return _run(session, args)
    except ValueError as error:  # a password or role the service refuses: say why, no trace
        raise SystemExit(str(error)) from None


def _run(session: Session, args) -> str:
    if args.command == "user" and args.action == "create":
        if service.get_user(session, args.username):
            raise SystemExit(f"A user called {args.username} already exists")
        user = accounts.create_user(session, username=args.username, display_name=args.name,
                                    role=Role(args.role), password=_password(),
                                    organisation_id=args.org, team=args.team)
        if args.email:
            service.set_email(session, user, args.email)
        return f"Created {user.username} ({args.role})."
    if args.command == "user" and args.action == "set-email":
        user = _existing_user(session, args.username)
        service.set_email(session, user, args.email)
        return f"Email for {user.username} set to {user.email or '(none)'}."
    if args.command == "user" and args.action == "reset-password":
        user = _existing_user(session, args.username)
        service.reset_password(session, user, _password())
        return f"Password reset for {user.username}; their sessions have ended."
    if args.command == "token" and args.action == "create":
        user = _existing_user(session, args.username)
        token, secret = service.create_token(session, user, args.name)
        return f"Token {token.id} for {user.username} (shown once, keep it safe):\n{secret}"
    token = service.revoke_token(session, args.token_id)
    if token is None:
        raise SystemExit(f"No token {args.token_id}")
    return f"Token {token.id} revoked."
