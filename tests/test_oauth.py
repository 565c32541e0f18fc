"""OAuth 2.0 against real servers: a Dovecot and an SMTP listener that take XOAUTH2 only, a token server.

The Microsoft configuration goes through MSAL itself: discovery of the tenant
at `authority_host` (the token server, in place of login.microsoftonline.com),
the client-credentials grant with a secret or a certificate's signed assertion,
MSAL's own cache. Dovecot checks each token: a user's token with its `oauth2`
passdb, an app's token (which names no user) by asking the same introspection
endpoint with the login name, which knows the mailboxes the app was given, as
Exchange's Add-MailboxPermission would.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from mailflow.adapters.imap import ImapMailbox
from mailflow.adapters.tables import OutageRow, OutboxRow
from mailflow.oauth import tokens
from mailflow.testing.dovecot import Dovecot
from mailflow.testing.smtpsink import SmtpSink
from mailflow.testing.tokenserver import TokenServer, self_signed
from tests import mails
from tests.conftest import World

pytestmark = pytest.mark.integration
TZ = ZoneInfo("Europe/Stockholm")
ARRIVAL = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
CITIZEN = "asa.oberg@example.com"
SECRET_ENV = "MAILFLOW_TEST_CLIENT_SECRET"
SMTP_ACCOUNT = "mailflow@stockholm.example.se"


@pytest.fixture(autouse=True)
def fresh_token_caches() -> Iterator[None]:
    tokens.forget_all()
    yield
    tokens.forget_all()


class OAuthWorld:
    """A world whose mailboxes and SMTP take XOAUTH2 only, with an app registration of its own."""

    def __init__(self, tmp: Path, dovecot: Dovecot, smtp: SmtpSink, db_url: str, ts: TokenServer,
                 auth: dict[str, Any] | None = None, smtp_auth: dict[str, Any] | None = None,
                 service: dict[str, Any] | None = None, grant: bool = True) -> None:
        self.ts = ts
        self.tenant = str(uuid.uuid4())
        self.client_id = str(uuid.uuid4())
        self.secret = "s3cret-" + uuid.uuid4().hex
        ms = {"auth": "oauth2", "provider": "microsoft", "tenant_id": self.tenant, "client_id": self.client_id,
              "client_secret_env": SECRET_ENV, "authority_host": ts.authority_host, "ca_file": str(ts.ca_file)}
        box = {k: v for k, v in {**ms, **(auth or {})}.items() if v is not None}  # None: the key left out
        overrides = {org: {"imap": box, "registrar_imap": box} for org in ("norrmalm", "nacka")}
        smtp_keys = {k: v for k, v in {**ms, "username": SMTP_ACCOUNT, **(smtp_auth or {})}.items() if v is not None}
        svc: dict[str, Any] = {"smtp": smtp_keys,
                               "outage_notice_minutes": 0, **(service or {})}
        self.world = World(tmp, dovecot, smtp, db_url, overrides, svc)
        self.world.env[SECRET_ENV] = self.secret
        ts.register_app(self.client_id, secret=self.secret, mailboxes=set())
        if grant:
            self.grant_all()

    def grant_all(self) -> None:
        w = self.world
        boxes = [w.user(a) for a in (mails.NORRMALM, mails.NORRMALM_REGISTRAR, mails.NACKA, mails.NACKA_REGISTRAR)]
        self.ts.grant_mailboxes(self.client_id, *boxes, SMTP_ACCOUNT)

    def grants(self) -> list[dict[str, str]]:
        return [r for r in self.ts.requests if r["client_id"] == self.client_id]


@pytest.fixture
def oauth_world(tmp_path: Path, oauth_dovecot: Dovecot, oauth_smtp: SmtpSink, db_url: str,
                token_server: TokenServer) -> Iterator[OAuthWorld]:
    ow = OAuthWorld(tmp_path, oauth_dovecot, oauth_smtp, db_url, token_server)
    yield ow
    ow.world.close()


@pytest.fixture
def make_oauth_world(tmp_path: Path, oauth_dovecot: Dovecot, oauth_smtp: SmtpSink, sqlite_url: str,
                     token_server: TokenServer) -> Iterator[Any]:
    made: list[OAuthWorld] = []

    def make(**kwargs: Any) -> OAuthWorld:
        ow = OAuthWorld(tmp_path / f"w{len(made)}", oauth_dovecot, oauth_smtp, sqlite_url, token_server, **kwargs)
        made.append(ow)
        return ow

    yield make
    for ow in made:
        ow.world.close()


def outbox(world: World) -> list[OutboxRow]:
    with world.store.transaction() as reg:
        return list(reg.session.execute(select(OutboxRow).order_by(OutboxRow.id)).scalars())


def outages(world: World) -> list[OutageRow]:
    with world.store.transaction() as reg:
        return list(reg.session.execute(select(OutageRow).order_by(OutageRow.id)).scalars())


# -- Microsoft 365: an app registration's client credentials, through MSAL -----------------------


async def test_microsoft_app_reads_and_sends_through_xoauth2(oauth_world: OAuthWorld, oauth_smtp: SmtpSink) -> None:
    w = oauth_world.world
    w.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    report = await w.run_once(NOW)
    assert report.mailbox_errors == [] and report.smtp_outage is None
    assert report.outcomes["registered"] == 1
    assert len(w.mailbox(mails.NORRMALM, "Processed")) == 1 and w.mailbox(mails.NORRMALM) == []
    ack = w.mailbox(CITIZEN)
    assert len(ack) == 1 and report.refs[0] in str(ack[0]["Subject"])
    assert SMTP_ACCOUNT in oauth_smtp.handler.logins  # type: ignore[attr-defined]
    # MSAL asked the tenant's token endpoint for Exchange Online's scope, once: four mailboxes and
    # three SMTP connections shared one app token
    grants = oauth_world.grants()
    assert [(g["grant"], g["tenant"], g["scope"]) for g in grants] == [
        ("client_credentials", oauth_world.tenant, "https://outlook.office365.com/.default")]


async def test_an_expired_token_is_refreshed_without_losing_a_message(oauth_world: OAuthWorld) -> None:
    w, ts = oauth_world.world, oauth_world.ts
    w.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    first = await w.run_once(NOW)
    assert first.outcomes["registered"] == 1 and len(oauth_world.grants()) == 1
    # every token issued so far ends at the server, an hour early for mailflow's cache and MSAL's
    ts.expire_all()
    w.deliver(mails.NORRMALM, mails.build(subject="Hemtjänsten igen", body="Samma sak hände i dag.\n",
                                          frm="Bo Ek <bo.ek@example.com>"), ARRIVAL + timedelta(minutes=30))
    second = await w.run_once(NOW + timedelta(minutes=30))
    assert second.mailbox_errors == [] and second.smtp_outage is None
    assert second.outcomes["registered"] == 1
    assert len(oauth_world.grants()) == 2  # the refused token was dropped, one new one served all
    assert len(w.cases()) == 2
    assert len(w.mailbox("bo.ek@example.com")) == 1  # its acknowledgment went out over a new SMTP login
    assert w.mailbox(mails.NORRMALM) == [] and len(w.mailbox(mails.NORRMALM, "Processed")) == 2
    assert [r for r in outages(w)] == []


async def test_a_certificate_signs_the_token_request(make_oauth_world: Any, tmp_path: Path) -> None:
    key, cert = self_signed("mailflow-test-app")
    pem = tmp_path / "app.pem"
    pem.write_bytes(key + cert)
    ow: OAuthWorld = make_oauth_world(auth={"client_secret_env": None, "client_certificate_path": str(pem)},
                                      smtp_auth={"client_secret_env": None, "client_certificate_path": str(pem)})
    ow.ts.apps[ow.client_id].secret = None
    ow.ts.apps[ow.client_id].certificate_pem = cert
    rc, out, err = ow.world.cli("check-config")
    assert rc == 0, out + err
    assert "ok    OAuth 2.0 token for IMAP norrmalm complaints mailbox" in out
    assert f"tenant {ow.tenant}" in out
    w = ow.world
    w.deliver(mails.NACKA, mails.build(to=mails.NACKA), ARRIVAL)
    report = await w.run_once(NOW)
    assert report.outcomes["registered"] == 1 and report.mailbox_errors == []


def test_check_config_names_the_mailbox_the_tenant_and_the_token_endpoints_reason(make_oauth_world: Any) -> None:
    ow: OAuthWorld = make_oauth_world()
    ow.world.env[SECRET_ENV] = "not-the-secret"
    rc, out, err = ow.world.cli("check-config")
    assert rc == 1
    fail = [line for line in out.splitlines() if line.startswith("FAIL  OAuth 2.0 token for IMAP norrmalm complaints")]
    assert len(fail) == 1
    line = fail[0]
    assert ow.world.user(mails.NORRMALM) in line and f"tenant {ow.tenant}" in line
    assert "invalid_client: AADSTS7000215: Invalid client secret provided." in line
    assert "not-the-secret" not in out + err
    assert "not tried: no OAuth 2.0 token" in out


def test_an_app_not_given_the_mailbox_cannot_open_it(make_oauth_world: Any) -> None:
    ow: OAuthWorld = make_oauth_world(grant=False)
    settings = ow.world.org("norrmalm").imap
    box = ImapMailbox(settings, ow.world.env)
    with pytest.raises(Exception) as caught:
        box.connect()
    assert "XOAUTH2 login refused" in str(caught.value) and "a new token was refused too" in str(caught.value)
    ow.ts.grant_mailboxes(ow.client_id, ow.world.user(mails.NORRMALM))
    box.connect()  # given the mailbox (Add-MailboxPermission), the same app opens it
    box.close()


async def test_a_token_that_cannot_be_had_is_an_outage_told_to_the_registrar_once(
        make_oauth_world: Any, token_server: TokenServer) -> None:
    # the mailboxes' app has a wrong secret; SMTP has an app of its own that works, so the notice can go
    ow: OAuthWorld = make_oauth_world()
    smtp_app = str(uuid.uuid4())
    token_server.register_app(smtp_app, secret="smtp-secret", mailboxes={SMTP_ACCOUNT})
    w = ow.world
    w.env[SECRET_ENV] = "wrong"
    w.env["MAILFLOW_TEST_SMTP_SECRET"] = "smtp-secret"
    cfg = w.config
    smtp = cfg.smtp.model_copy(update={"client_id": smtp_app, "client_secret_env": "MAILFLOW_TEST_SMTP_SECRET"})
    w.config = type(cfg)(cfg.path, cfg.service, smtp, cfg.organizations, cfg.org_files, cfg.metrics)
    w.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    for minutes in (0, 5, 10):
        report = await w.run_once(NOW + timedelta(minutes=minutes))
        assert len(report.mailbox_errors) == 4
        assert all("AADSTS7000215" in e and ow.tenant in e for e in report.mailbox_errors)
    notices = [r for r in outbox(w) if r.purpose == "outage"]
    assert len(notices) == 2  # one per organization's registrar, for the whole outage
    assert all(r.status == "sent" for r in notices)
    rows = outages(w)
    assert len(rows) == 4 and all(r.ended_at is None and "invalid_client" in r.error for r in rows)
    assert all("wrong" not in r.error for r in rows)
    # the secret is put right: the message waiting in the mailbox is registered, the end is told once
    w.env[SECRET_ENV] = ow.secret
    tokens.forget_all()
    fixed = await w.run_once(NOW + timedelta(minutes=20))
    assert fixed.mailbox_errors == [] and fixed.outcomes["registered"] == 1
    assert len([r for r in outbox(w) if r.purpose == "outage"]) == 4


# -- a delegated sign-in: the refresh token is replaced by each new one ---------------------------


async def test_each_new_refresh_token_replaces_the_stored_one(make_oauth_world: Any, tmp_path: Path) -> None:
    ts: TokenServer
    ow: OAuthWorld = make_oauth_world()
    ts = ow.ts
    w = ow.world
    user = w.user(mails.NACKA)
    store = tmp_path / "nacka-refresh-token"
    first = ts.new_refresh_token(ow.client_id, user)
    fd = os.open(store, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, first.encode() + b"\n")
    os.close(fd)
    delegated = {"provider": "generic", "grant": "refresh_token", "token_url": ts.token_url,
                 "refresh_token_path": str(store), "tenant_id": None, "client_secret_env": None}
    org = w.org("nacka")
    imap = org.imap.model_copy(update=delegated)
    orgs = tuple(o.model_copy(update={"imap": imap, "registrar_imap": None}) if o.id == "nacka" else o
                 for o in w.config.organizations)
    cfg = w.config
    w.config = type(cfg)(cfg.path, cfg.service, cfg.smtp, orgs, cfg.org_files, cfg.metrics)
    w.deliver(mails.NACKA, mails.build(to=mails.NACKA), ARRIVAL)
    report = await w.run_once(NOW)
    assert report.outcomes["registered"] == 1 and report.mailbox_errors == []
    second = store.read_text().strip()
    assert second != first and second in ts.refresh_tokens  # the new one is stored; the old one is spent
    assert first not in ts.refresh_tokens
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    ts.expire_all()
    w.deliver(mails.NACKA, mails.build(to=mails.NACKA, subject="En gång till"), ARRIVAL)
    again = await w.run_once(NOW + timedelta(minutes=5))
    assert again.outcomes["registered"] == 1 and again.mailbox_errors == []
    assert store.read_text().strip() not in (first, second)
    # a refresh token that others can read is refused, never used
    store.chmod(0o644)
    tokens.forget_all()
    ts.expire_all()
    refused = await w.run_once(NOW + timedelta(minutes=10))
    assert any("chmod 600" in e for e in refused.mailbox_errors)


# -- Google: a service account with domain-wide delegation -------------------------------------------


async def test_a_google_service_account_acts_as_each_mailbox(make_oauth_world: Any, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    ow: OAuthWorld = make_oauth_world()
    ts = ow.ts
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    email_ = f"mailflow@{uuid.uuid4().hex[:8]}.iam.gserviceaccount.com"
    info = {"type": "service_account", "project_id": "mailflow-test", "private_key_id": uuid.uuid4().hex,
            "private_key": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()).decode(),
            "client_email": email_, "client_id": "1234567890", "token_uri": ts.token_url}
    keyfile = tmp_path / "service-account.json"
    keyfile.write_text(json.dumps(info))
    ts.register_service_account(email_, key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    google = {"provider": "google", "service_account_file": str(keyfile), "tenant_id": None, "client_id": None,
              "client_secret_env": None, "ca_file": str(ts.ca_file)}
    w = ow.world
    orgs = tuple(o.model_copy(update={"imap": o.imap.model_copy(update=google),
                                      "registrar_imap": o.registrar_imap.model_copy(update=google)})
                 for o in w.config.organizations if o.registrar_imap is not None)
    cfg = w.config
    w.config = type(cfg)(cfg.path, cfg.service, cfg.smtp, orgs, cfg.org_files, cfg.metrics)
    w.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    report = await w.run_once(NOW)
    assert report.outcomes["registered"] == 1 and report.mailbox_errors == []
    subjects = {t.subject for t in ts.issued.values() if t.client_id == email_}
    assert subjects == {w.user(a) for a in (mails.NORRMALM, mails.NORRMALM_REGISTRAR, mails.NACKA,
                                            mails.NACKA_REGISTRAR)}


# -- what never shows --------------------------------------------------------------------------------


async def test_no_token_or_secret_reaches_the_log(oauth_world: OAuthWorld, caplog: pytest.LogCaptureFixture) -> None:
    w, ts = oauth_world.world, oauth_world.ts
    caplog.set_level(logging.DEBUG)
    w.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    await w.run_once(NOW)
    ts.expire_all()
    await w.run_once(NOW + timedelta(minutes=1))
    w.env[SECRET_ENV] = "wrong-" + oauth_world.secret
    tokens.forget_all()
    ts.expire_all()
    failed = await w.run_once(NOW + timedelta(minutes=2))
    assert failed.mailbox_errors
    text = caplog.text + " ".join(failed.mailbox_errors) + " ".join(r.error for r in outages(w))
    issued = [t for t, i in ts.issued.items() if i.client_id == oauth_world.client_id]
    assert len(issued) >= 2
    assert not [t for t in issued if t in text]
    assert oauth_world.secret not in text


def test_the_listener_takes_xoauth2_only(oauth_smtp: SmtpSink) -> None:
    import smtplib

    with smtplib.SMTP("127.0.0.1", oauth_smtp.port, timeout=10) as client:
        client.ehlo()
        assert client.esmtp_features["auth"].split() == ["XOAUTH2"]
        with pytest.raises(smtplib.SMTPException):
            client.login("someone", "password")
