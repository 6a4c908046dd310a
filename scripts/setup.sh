#!/usr/bin/env bash
# Install what the service needs (idempotent): Debian packages, then .venv from pyproject.toml.
# Sourced by start.sh and test.sh; as a user who is not root it needs password-less sudo only
# when a Debian package is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/packages.sh

# Pango and HarfBuzz: WeasyPrint's system libraries, for the printed record.
ensure_apt_packages libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
# pg_dump and pg_restore: `python -m app backup` on PostgreSQL, and its test.
command -v pg_dump >/dev/null || ensure_apt_packages postgresql-client

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# The service's own packages only: the test command adds the test tools (scripts/test.sh).
ensure_python_packages ""
