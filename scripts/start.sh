#!/usr/bin/env bash
# Set up and start Strategy Record on SQLite with demo data at http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
.venv/bin/python -m app migrate
.venv/bin/python -m app demo
exec .venv/bin/python -m app serve "$@"
