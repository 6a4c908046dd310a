"""Command line: python -m app migrate | demo | serve | user … | token …"""

import argparse

from app import migrate
from app.auth import cli as auth_cli


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations (Alembic upgrade head)")
    commands.add_parser("demo", help="load demo strategy records (skipped if any exist)")
    serve = commands.add_parser("serve", help="migrate, then serve on http://HOST:PORT")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--reload", action="store_true", help="restart on code changes")
    auth_cli.add_commands(commands)
    args = parser.parse_args(argv)

    if args.command == "migrate":
        migrate.upgrade()
        print("Database is up to date.")
    elif args.command == "demo":
        from app.demo import load_demo

        print(load_demo())
    elif args.command == "serve":
        import uvicorn

        migrate.upgrade()
        uvicorn.run("app.main:app", host=args.host, port=args.port, reload=args.reload,
                    proxy_headers=True)
    else:
        print(auth_cli.run(args))


if __name__ == "__main__":
    main()
