# The two installers setup.sh and test.sh use (sourced; defines functions only).

ensure_apt_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  ((${#missing[@]})) || return 0
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    # Never stop for a password: without password-less sudo, say what to install and stop.
    if ! sudo -n true 2>/dev/null; then
      echo "Strategy Record needs these Debian packages: ${missing[*]}" >&2
      echo "Install them (sudo apt-get install ${missing[*]}), then run this again." >&2
      return 1
    fi
    sudo=(sudo -n)
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Install the project into .venv with the given extras ("" for the service alone, "test" for
# the test tools too); a stamp per pyproject.toml and extras skips it when nothing changed.
ensure_python_packages() {
  local extras=$1 target=. stamp
  [ -z "$extras" ] || target=".[$extras]"
  stamp=.venv/.installed-${extras:-service}-$(sha256sum pyproject.toml | cut -c1-16)
  [ -f "$stamp" ] && return 0
  .venv/bin/pip install --quiet --disable-pip-version-check -e "$target"
  rm -f .venv/.installed-"${extras:-service}"-* && touch "$stamp"
}
