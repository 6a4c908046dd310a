#!/usr/bin/env bash
# Run the whole test suite: installs what it needs, then pytest.
# Tests that use the database run on SQLite and on PostgreSQL (REQUIRE_POSTGRES=1 makes an
# unreachable PostgreSQL, or a missing browser, a failure instead of a skip).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
# Debian's Chromium for the browser tests (Playwright drives it; it never downloads one).
# qpdf and poppler-utils check and picture the printed record.
ensure_apt_packages chromium qpdf poppler-utils
ensure_python_packages test
exec .venv/bin/python -m pytest "$@"
