"""A throwaway PostgreSQL for the tests and benchmarks: initdb in a temporary directory, loopback only.

Needs Debian's `postgresql` package (its binaries under /usr/lib/postgresql/N/bin);
never touches a system cluster. PostgreSQL refuses to run as root, so as root
the data directory belongs to the package's `postgres` user (or to mailflow's
test mail user when that does not exist) and the server runs as that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

from mailflow.testing.dovecot import MAIL_USER, _mail_ids, free_port


def bindir() -> Path:
    """Where initdb and pg_ctl are: $MAILFLOW_PG_BINDIR, pg_config's answer, or the newest Debian version."""
    given = os.environ.get("MAILFLOW_PG_BINDIR")
    if given:
        return Path(given)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
                   if p.parent.parent.name.isdigit() else 0)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError(
        "PostgreSQL is not installed: on Debian or Ubuntu run `apt-get install postgresql` "
        "(scripts/test does this when run as root), or set MAILFLOW_TEST_POSTGRES_URL to a server"
    )


def _owner() -> tuple[int, int, str]:
    if os.geteuid() != 0:
        pw = pwd.getpwuid(os.geteuid())
        return pw.pw_uid, pw.pw_gid, pw.pw_name
    try:
        pw = pwd.getpwnam("postgres")
        return pw.pw_uid, pw.pw_gid, pw.pw_name
    except KeyError:
        uid, gid, _ = _mail_ids()  # creates mailflow's unprivileged system user
        return uid, gid, MAIL_USER


class Postgres:
    """Start, use and stop one PostgreSQL server under `root`; `url` is its SQLAlchemy URL."""

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.root = Path(root).resolve()
        self.port = port or free_port()
        self.data = self.root / "data"
        self.sockets = self.root / "run"
        self.log = self.root / "postgres.log"
        self.user = "postgres"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/postgres"

    def _run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        uid, gid, _ = _owner()
        kwargs: dict[str, object] = {}
        if os.geteuid() == 0:
            def demote() -> None:
                os.setgid(gid)
                os.setuid(uid)

            kwargs["preexec_fn"] = demote
        return subprocess.run(args, check=False, capture_output=True, text=True, cwd=self.root,
                              env={**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}, **kwargs)  # type: ignore[call-overload]

    def start(self) -> Postgres:
        uid, gid, _ = _owner()
        for d in (self.root, self.sockets):
            d.mkdir(parents=True, exist_ok=True)
            os.chown(d, uid, gid)
        os.chmod(self.root, 0o755)
        b = bindir()
        done = self._run([str(b / "initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust",
                          "-E", "UTF8", "--no-sync"])
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {(done.stderr or done.stdout)[-800:]}")
        options = (f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300 "
                   "-c shared_buffers=64MB")
        done = self._run([str(b / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                          "-w", "-t", "60", "start"])
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-800:] if self.log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {done.stderr or done.stdout}{log}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"PostgreSQL did not listen on port {self.port}; see {self.log}")

    def stop(self) -> None:
        if not (self.data / "postmaster.pid").exists():
            return
        self._run([str(bindir() / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])
