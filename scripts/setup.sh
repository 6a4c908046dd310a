#!/usr/bin/env bash
# Install what the service needs (idempotent): Debian packages, then .venv from pyproject.toml.
# Sourced by start.sh and test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ensure_apt_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  ((${#missing[@]})) || return 0
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Pango and HarfBuzz: WeasyPrint's system libraries, for the printed record.
ensure_apt_packages libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
# pg_dump and pg_restore: `python -m app backup` on PostgreSQL, and its test.
command -v pg_dump >/dev/null || ensure_apt_packages postgresql-client

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -e '.[test]'
  rm -f .venv/.installed-* && touch "$stamp"
fi
