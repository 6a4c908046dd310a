"""Command line: python -m app migrate | demo | serve | worker | backup | user … | token … | org …
| retention … | first-admin"""

import argparse
import sys
from pathlib import Path

from app import backup, logs, migrate
from app.cli import first_admin
from app.cli import organisations as org_cli
from app.cli import retention as retention_cli
from app.cli import users as auth_cli
from app.config import get_settings
from app.demo import load_demo
from app.sending import worker


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations (Alembic upgrade head)")
    commands.add_parser("demo", help="load demo strategy records (skipped if any exist)")
    serve = commands.add_parser("serve", help="migrate, then serve on http://HOST:PORT")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-migrate", action="store_true",
                       help="do not migrate first (a container runs `migrate` once, on its own)")
    restart = serve.add_mutually_exclusive_group()
    restart.add_argument("--reload", action="store_true", help="restart on code changes")
    restart.add_argument("--workers", type=_positive, default=1,
                         help="worker processes (they share everything through the database)")
    commands.add_parser("first-admin", help="create the first administrator from FIRST_ADMIN_* "
                        "environment variables (does nothing if they exist)")
    commands.add_parser("worker", help="deliver the notification outbox (runs until stopped)")
    backup = commands.add_parser(
        "backup", help="back up the database to PATH while the service runs (SQLite: a copy; "
        "PostgreSQL: pg_dump's custom format)")
    backup.add_argument("path", type=Path, help="the new file to write")
    auth_cli.add_commands(commands)
    org_cli.add_commands(commands)
    retention_cli.add_commands(commands)
    args = parser.parse_args(argv)

    if args.command == "migrate":
        print(migrate.upgrade_and_describe())
    elif args.command == "demo":
        print(load_demo())
    elif args.command == "serve":
        import uvicorn

        # Uvicorn's own lines go through the same handler (JSON by default); the app writes
        # the one line per request, so Uvicorn's access log is off.
        logs.configure(get_settings().log_format)
        if not args.no_migrate:
            print(migrate.upgrade_and_describe())  # once, here, before any worker starts
        uvicorn.run("app.main:app", host=args.host, port=args.port, reload=args.reload,
                    workers=args.workers, proxy_headers=True, log_config=None, access_log=False)
    elif args.command == "worker":
        _worker()
    elif args.command == "backup":
        _backup(args.path)
    elif args.command == "org":
        print(org_cli.run(args))
    elif args.command == "first-admin":
        print(first_admin.run())
    elif args.command == "retention":
        print(retention_cli.run(args))
    else:
        print(auth_cli.run(args))


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of 1 or more")
    return int(value)


def _worker() -> None:
    import threading

    logs.configure(get_settings().log_format)
    stop = threading.Event()
    try:
        worker.run_forever(stop)
    except KeyboardInterrupt:
        stop.set()


def _backup(path: Path) -> None:
    try:
        written = backup.backup(get_settings().database_url, path)
    except backup.BackupRefused as refusal:
        print(refusal, file=sys.stderr)
        raise SystemExit(2) from None
    print(f"Backed up the database to {written}.")


if __name__ == "__main__":
    main()
