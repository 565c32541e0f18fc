# Shared by scripts/demo and scripts/test: make this machine ready, idempotently.
#  - Python 3.11 or newer
#  - Debian's dovecot-imapd (installed with apt-get when running as root)
#  - a virtual environment in .venv with mailflow and its dev extras
set -euo pipefail

PYTHON=${PYTHON:-python3}

need_python() {
  if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    echo "mailflow needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1))" >&2
    exit 1
  fi
}

need_dovecot() {
  if command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ]; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's dovecot-imapd (for the local test and demo IMAP server) ..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dovecot-imapd >/dev/null
  else
    echo "Dovecot is needed for the local IMAP server: sudo apt-get install dovecot-imapd" >&2
    exit 1
  fi
}

need_venv() {
  if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
  fi
  # reinstall only when the project's requirements changed
  local stamp=.venv/.mailflow-installed
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e ".[dev]"
    touch "$stamp"
  fi
}

need_python
need_dovecot
need_venv
