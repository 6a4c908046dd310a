#!/usr/bin/env bash
# Set up and start Strategy Record on SQLite with demo data at http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
# A person reading the terminal gets plain lines (a deployment's default is JSON, LOG_FORMAT).
export LOG_FORMAT="${LOG_FORMAT:-text}"
.venv/bin/python -m app migrate
.venv/bin/python -m app demo
exec .venv/bin/python -m app serve "$@"
