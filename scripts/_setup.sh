# Shared by scripts/demo and scripts/test: make this machine ready, idempotently.
#  - Python 3.11 or newer
#  - Debian's dovecot-imapd (installed with apt-get when running as root)
#  - for the tests: Debian's postgresql (need_postgres) and chromium (need_chromium), called by scripts/test
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
  WHAT_FOR="the local test and demo IMAP server" apt_install dovecot-imapd
}

apt_install() {  # apt_install WHAT PACKAGE...: Debian packages, when root
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's $* (for $WHAT_FOR) ..." >&2
    if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq; _APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    echo "$WHAT_FOR needs Debian's $*: sudo apt-get install $*" >&2
    exit 1
  fi
}

need_postgres() {
  # the tests start a throwaway PostgreSQL of their own unless told to use a server
  if [ -n "${MAILFLOW_TEST_POSTGRES_URL:-}" ] || [ "${MAILFLOW_TEST_SKIP_POSTGRES:-}" = 1 ]; then return; fi
  if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then return; fi
  WHAT_FOR="the tests' throwaway PostgreSQL" apt_install postgresql
}

need_chromium() {
  # the tests render the citizen mails' HTML in a real headless browser (tests/test_mail_rendering.py)
  if [ "${MAILFLOW_TEST_SKIP_BROWSER:-}" = 1 ]; then return; fi
  if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then return; fi
  WHAT_FOR="the tests' headless browser" apt_install chromium
}

need_venv() {
  if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
  fi
  # reinstall only when the project's requirements changed
  local stamp=.venv/.mailflow-installed
  # ... or a translation: the build step compiles the catalogs (mailflow/locale/*/LC_MESSAGES/*.po -> .mo)
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ setup.py -nt "$stamp" ] \
     || [ -n "$(find mailflow/locale -name '*.po' -newer "$stamp" 2>/dev/null | head -1)" ]; then
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e ".[dev]"
    touch "$stamp"
  fi
}

need_python
need_dovecot
need_venv
