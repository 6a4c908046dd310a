#!/usr/bin/env bash
# Run the whole test suite: installs what it needs into .venv, then pytest.
# Tests that use the database run on SQLite and on PostgreSQL (REQUIRE_POSTGRES=1 makes an
# unreachable PostgreSQL a failure instead of a skip).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
