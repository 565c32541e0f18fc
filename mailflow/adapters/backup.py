"""`mailflow backup`: one consistent snapshot of the register and the outbox together.

- SQLite: the online backup API (`sqlite3.Connection.backup`) copies the whole
  database as of one moment while `run` goes on; the sent journal
  (`<database>.sent-journal/`) is copied after it, so a mail the SMTP server
  took but the database had not yet marked is marked when the copy is used.
- PostgreSQL: `pg_dump --format=custom --serializable-deferrable` reads every
  table in one transaction, from a snapshot that no concurrent transaction can
  make inconsistent: a case and the mails queued with it are both in the dump
  or neither is. Restore with `pg_restore --clean --dbname …`.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from mailflow.errors import MailflowError


@dataclass(frozen=True)
class Done:
    path: Path
    bytes: int
    how: str


def sqlite_backup(source: str, out: Path) -> Done:
    if out.exists():
        raise MailflowError(f"backup: {out} exists already; give a new file")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(out)
    try:
        with dst:
            src.backup(dst)  # all pages in one step: the copy is of one moment
    finally:
        dst.close()
        src.close()
    journal = Path(f"{source}.sent-journal")
    if journal.is_dir():
        shutil.copytree(journal, Path(f"{out}.sent-journal"), dirs_exist_ok=True)
    return Done(out, out.stat().st_size, "SQLite online backup API")


def pg_dump_binary() -> str:
    found = shutil.which("pg_dump")
    if found:
        return found
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"),
                      key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if versions:
        return versions[-1]
    raise MailflowError("backup: pg_dump not found (Debian: apt-get install postgresql-client)")


def pg_dump_command(database_url: str, out: Path) -> tuple[list[str], dict[str, str]]:
    """The command (no password in it) and the environment it needs (PGPASSWORD when the URL has one)."""
    url = make_url(database_url)
    env = {"PGPASSWORD": url.password} if url.password else {}
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return [pg_dump_binary(), "--format=custom", "--serializable-deferrable", "--no-owner",
            f"--file={out}", f"--dbname={conninfo}"], env


def pg_backup(database_url: str, out: Path) -> Done:
    if out.exists():
        raise MailflowError(f"backup: {out} exists already; give a new file")
    cmd, env = pg_dump_command(database_url, out)
    result = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise MailflowError(f"backup: pg_dump failed ({result.returncode}): {result.stderr.strip()[:300]}")
    return Done(out, out.stat().st_size, "pg_dump, one serializable snapshot")
