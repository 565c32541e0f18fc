"""Fixtures: one real Dovecot and one SMTP listener per session; SQLite and PostgreSQL per test.

Each test gets its own "world": a namespace that prefixes every mailbox user
name (so tests never see each other's mail), a config made from the shipped
example organizations pointed at the session's servers, and a fresh database.
"""

from __future__ import annotations

import email
import email.policy
import io
import os
import shutil
import tempfile
import tomllib
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mailflow import config as config_mod
from mailflow.adapters.store import Store, make_engine
from mailflow.clock import FixedClock, SystemClock
from mailflow.migrate import upgrade
from mailflow.service import PassReport, Service
from mailflow.testing.dovecot import Dovecot
from mailflow.testing.postgres import Postgres
from mailflow.testing.smtpsink import SmtpSink
from mailflow.testing.tokenserver import TokenServer
from mailflow.testing.tomlw import dumps

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "secret"
# a given server, else a throwaway PostgreSQL started for the session (see the pg_server fixture)
GIVEN_PG_URL = os.environ.get("MAILFLOW_TEST_POSTGRES_URL")


# -- servers ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    # not under pytest's tmp dir: that is private to root, and Dovecot's mail user must get in
    root = Path(tempfile.mkdtemp(prefix="mailflow-dovecot-"))
    server = Dovecot(root, password=PASSWORD).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def smtp(dovecot: Dovecot) -> Iterator[SmtpSink]:
    sink = SmtpSink(dovecot, route=lambda addr: None).start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def token_server() -> Iterator[TokenServer]:
    """An OAuth 2.0 authorization server on loopback: Entra-shaped discovery and token endpoint (HTTPS),
    introspection for Dovecot (HTTP)."""
    root = Path(tempfile.mkdtemp(prefix="mailflow-tokens-"))
    server = TokenServer(root).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def oauth_dovecot(token_server: TokenServer) -> Iterator[Dovecot]:
    """A second Dovecot that takes XOAUTH2 only, checking each token with the token server."""
    root = Path(tempfile.mkdtemp(prefix="mailflow-dovecot-oauth-"))
    server = Dovecot(root, oauth2_introspection=token_server.introspection_url, token_for=token_server.mint).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def oauth_smtp(oauth_dovecot: Dovecot, token_server: TokenServer) -> Iterator[SmtpSink]:
    """An SMTP listener that requires AUTH XOAUTH2 (no PLAIN, no LOGIN), delivering into the OAuth Dovecot."""
    sink = SmtpSink(oauth_dovecot, route=lambda addr: None, xoauth2=token_server.check).start()
    yield sink
    sink.stop()


# -- databases -------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The PostgreSQL URL the tests use: MAILFLOW_TEST_POSTGRES_URL, else a throwaway server of our own."""
    if os.environ.get("MAILFLOW_TEST_SKIP_POSTGRES") == "1":
        pytest.skip("MAILFLOW_TEST_SKIP_POSTGRES=1")
    if GIVEN_PG_URL:
        yield GIVEN_PG_URL
        return
    root = Path(tempfile.mkdtemp(prefix="mailflow-postgres-"))
    server = Postgres(root).start()
    yield server.url
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


def _admin_engine(pg_url: str):  # type: ignore[no-untyped-def]
    return create_engine(pg_url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_template(pg_server: str) -> Iterator[str]:
    """A PostgreSQL database with the schema migrated, copied for each test."""
    name = f"mf_tmpl_{os.getpid()}"
    admin = _admin_engine(pg_server)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_server).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: SQLite file or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'mailflow.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    template = request.getfixturevalue("pg_template")
    pg_url = request.getfixturevalue("pg_server")
    name = f"mf_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine(pg_url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'mailflow.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


# -- a world per test ------------------------------------------------------------------


class World:
    """The shipped example organizations on the session's servers, in a namespace of their own."""

    def __init__(self, tmp: Path, dovecot: Dovecot, smtp: SmtpSink, db_url: str,
                 org_overrides: dict[str, dict[str, Any]] | None = None,
                 service_overrides: dict[str, Any] | None = None) -> None:
        self.ns = "t" + uuid.uuid4().hex[:8]
        self.dovecot = dovecot
        self.smtp = smtp
        self.db_url = db_url
        self.dir = tmp / "config"
        (self.dir / "organizations").mkdir(parents=True)
        self.env = {**os.environ, "MAILFLOW_DATABASE_URL": db_url}
        for path in sorted((ROOT / "config" / "organizations").glob("*.toml")):
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            for section in ("imap", "registrar_imap"):
                box = data[section]
                box["port"] = dovecot.port
                box["host"] = dovecot.host
                box["username"] = self.user(box["username"])
                self.env[box["password_env"]] = PASSWORD
            for key, value in (org_overrides or {}).get(data["id"], {}).items():
                if isinstance(value, dict) and isinstance(data.get(key), dict):
                    data[key] = {**data[key], **value}
                else:
                    data[key] = value
            (self.dir / "organizations" / path.name).write_text(dumps(data), encoding="utf-8")
        service = tomllib.loads((ROOT / "config" / "mailflow.toml").read_text(encoding="utf-8"))
        service["service"]["database_url"] = db_url
        service["service"]["templates_dir"] = str(ROOT / "templates")
        service["service"]["poll_interval_seconds"] = 1
        # digests only where a test asks for them (tests/test_digest.py sets its own time)
        service["service"]["digest_time"] = "23:00"
        service["smtp"]["port"] = smtp.port
        for key, value in (service_overrides or {}).items():
            if key == "smtp":  # e.g. {"smtp": {"port": ..., "retry_base_seconds": 1}}
                service["smtp"].update(value)
            else:
                service["service"][key] = value
        self.config_path = self.dir / "mailflow.toml"
        self.config_path.write_text(dumps(service), encoding="utf-8")
        self.config = config_mod.load(self.config_path, env=self.env)
        self.store = Store(db_url)
        smtp.handler.route = self.user
        self.sent_before = len(smtp.received)

    def user(self, address: str) -> str:
        return f"{self.ns}-{address.lower()}"

    def org(self, org_id: str) -> config_mod.Organization:
        return self.config.org(org_id)

    def deliver(self, to: str, raw: bytes, when: datetime | None = None) -> None:
        self.dovecot.append(self.user(to), raw, when)

    def mailbox(self, address: str, folder: str = "INBOX") -> list[EmailMessage]:
        return [
            email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
            for raw in self.dovecot.messages(self.user(address), folder)
        ]

    def sent(self) -> list[Any]:
        """What mailflow handed to the SMTP listener during this test."""
        return self.smtp.received[self.sent_before:]

    def service(self, now: datetime | None = None) -> Service:
        clock = FixedClock(now) if now is not None else SystemClock()
        return Service(self.config, self.store, clock, env=self.env)

    async def run_once(self, now: datetime | None = None) -> PassReport:
        return await self.service(now).run_once()

    def cli(self, *args: str) -> tuple[int, str, str]:
        from mailflow.cli import main

        out, err = io.StringIO(), io.StringIO()
        old = dict(os.environ)
        os.environ.update(self.env)
        try:
            # in a thread of its own: commands run their own event loop, and async tests have one
            with redirect_stdout(out), redirect_stderr(err), ThreadPoolExecutor(max_workers=1) as pool:
                rc = pool.submit(main, ["--config", str(self.config_path), *args]).result()
        finally:
            os.environ.clear()
            os.environ.update(old)
        return rc, out.getvalue(), err.getvalue()

    def case(self, ref: str) -> dict[str, Any]:
        import json

        rc, out, err = self.cli("case", ref, "--json")
        assert rc == 0, err
        return json.loads(out)  # type: ignore[no-any-return]

    def cases(self) -> list[dict[str, Any]]:
        import json

        rc, out, err = self.cli("cases", "--json")
        assert rc == 0, err
        return json.loads(out)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.store.dispose()


@pytest.fixture
def world(tmp_path: Path, dovecot: Dovecot, smtp: SmtpSink, db_url: str) -> Iterator[World]:
    w = World(tmp_path, dovecot, smtp, db_url)
    yield w
    w.close()


@pytest.fixture
def make_world(tmp_path: Path, dovecot: Dovecot, smtp: SmtpSink, sqlite_url: str) -> Iterator[Any]:
    """A world on SQLite with some organization keys changed."""
    made: list[World] = []

    def make(overrides: dict[str, dict[str, Any]], db_url: str | None = None,
             service: dict[str, Any] | None = None) -> World:
        w = World(tmp_path / f"w{len(made)}", dovecot, smtp, db_url or sqlite_url, overrides, service)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()
