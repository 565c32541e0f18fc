"""The demo: a local Dovecot and SMTP listener, the example organizations, sample mail, one pass.

Run by `scripts/demo`. It uses the shipped config/mailflow.toml unchanged (which
points at 127.0.0.1:10143 and :10025), a fresh SQLite database in var/demo/,
delivers samples/*.eml to the organizations' complaints mailboxes, runs
`mailflow run --once`, and prints the cases and what mailflow sent; then starts
the web (the form and the register) on 127.0.0.1:8080 with a demo sign-in per
role, which `--keep` leaves running.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mailflow import config as config_mod
from mailflow.testing.dovecot import Dovecot
from mailflow.testing.smtpsink import SmtpSink

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "demo"


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _heading(text: str) -> None:
    print(f"\n=== {text} " + "=" * max(0, 70 - len(text)))


def _mailflow(*args: str, env: dict[str, str]) -> str:
    cmd = [sys.executable, "-m", "mailflow", *args]
    print("$ mailflow " + " ".join(args))
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    out = result.stdout + (result.stderr if result.returncode else "")
    print(out.rstrip())
    if result.returncode not in (0, 3):
        raise SystemExit(f"demo: `mailflow {' '.join(args)}` failed with exit code {result.returncode}")
    return result.stdout


DEMO_PASSWORD = "demo-password"
WEB_PORT = 8080


def _start_web(cfg_path: Path, env: dict[str, str]) -> Any:
    """The web on 127.0.0.1:8080 (or a free port), with a demo sign-in per role."""
    from datetime import datetime, timezone

    from mailflow.adapters.store import Store
    from mailflow.testing.browser import WebServer, free_port
    from mailflow.web import users
    from mailflow.web.app import create_app

    cfg = config_mod.load(cfg_path, env=env)
    store = Store(cfg.service.database_url)
    now = datetime.now(timezone.utc)
    norrmalm = next((o for o in cfg.organizations if o.id == "norrmalm"), cfg.organizations[0])
    unit = norrmalm.units[0]
    sign_ins = [
        (norrmalm.registrar, "registrar", norrmalm.id, []),
        (unit.manager, "manager", norrmalm.id, [u.id for u in norrmalm.units if u.manager == unit.manager]),
        (norrmalm.lex_sarah.handler, "lex_sarah", norrmalm.id, []),
        ("admin@mailflow.example", "admin", None, []),
    ]
    for email_, role, org_id, units in sign_ins:
        users.add(cfg, store, email_, role, org_id, units, DEMO_PASSWORD, now)
    server = WebServer(create_app(cfg, store), WEB_PORT if _port_free(WEB_PORT) else free_port()).start()
    import urllib.request

    with urllib.request.urlopen(f"{server.url}/{norrmalm.id}/", timeout=30) as page:  # noqa: S310  our own loopback
        print(f"GET {server.url}/{norrmalm.id}/ -> {page.status} ({len(page.read())} bytes)")
    print(f"The form:      {server.url}/   ({', '.join(f'{server.url}/{o.id}/' for o in cfg.organizations)})")
    print(f"The register:  {server.url}/staff   (sign in with one of these, password {DEMO_PASSWORD!r}):")
    for email_, role, _org, units in sign_ins:
        print(f"  {role:<10} {email_}" + (f"  (units: {', '.join(units)})" if units else ""))
    return server


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="mailflow demo on local servers")
    ap.add_argument("--keep", action="store_true", help="leave Dovecot and the SMTP listener running")
    args = ap.parse_args(argv)

    cfg_path = ROOT / "config" / "mailflow.toml"
    cfg = config_mod.load(cfg_path, env={})
    imap_port = cfg.organizations[0].imap.port
    for port in (imap_port, cfg.smtp.port):
        if not _port_free(port):
            print(f"demo: port {port} is in use (is an earlier `scripts/demo --keep` still running?)", file=sys.stderr)
            return 1

    work = ROOT / "var" / "demo"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    # Dovecot's mail user must be able to reach its files: keep them under the temp dir
    mail_root = Path(tempfile.gettempdir()) / f"mailflow-demo-{os.getuid()}"
    shutil.rmtree(mail_root, ignore_errors=True)
    env = {**os.environ, "MAILFLOW_DATABASE_URL": f"sqlite:///{work / 'mailflow.db'}"}
    for org in cfg.organizations:
        for box in (org.imap, org.registrar_imap):
            if box is not None and box.password_env:
                env[box.password_env] = PASSWORD

    web = None
    started = time.monotonic()
    _heading("Starting a local Dovecot (IMAP) and SMTP listener")
    dovecot = Dovecot(mail_root, port=imap_port, password=PASSWORD).start()
    sink = SmtpSink(dovecot, port=cfg.smtp.port).start()
    print(f"Dovecot on 127.0.0.1:{dovecot.port}, SMTP listener on 127.0.0.1:{sink.port}; "
          f"every address is a mailbox (password {PASSWORD!r})")
    try:
        _heading("Creating the database")
        _mailflow("db", "upgrade", env=env)

        _heading("Delivering the sample mail")
        addresses = {o.id: o.complaints_address for o in cfg.organizations}
        for path in sorted((ROOT / "samples").glob("*.eml")):
            raw = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            to = str(msg.get("To", "") or "").lower()
            target = next((a for a in addresses.values() if a in to), addresses["norrmalm"])
            dovecot.append(target, raw)
            print(f"  {path.name:<28} -> {target}")

        _heading("One pass: mailboxes, pipeline, outbox")
        _mailflow("run", "--once", env=env)

        _heading("The register")
        _mailflow("cases", env=env)
        first = next((o for o in cfg.organizations if o.id == "norrmalm"), cfg.organizations[0])
        _mailflow("case", f"{first.case_prefix}-{time.localtime().tm_year}-0001", env=env)

        _heading("What mailflow sent (captured by the SMTP listener)")
        for item in sink.received:
            msg = email.message_from_bytes(item.data, policy=email.policy.default)
            purpose = msg.get("X-Mailflow-Purpose", "?")
            print(f"  [{purpose:<7}] to {', '.join(item.rcpt_tos)}")
            print(f"            {msg['Subject']}")
        acks = [i for i in sink.received if b"X-Mailflow-Purpose: ack" in i.data]
        if acks:
            _heading("One acknowledgment in full (text part)")
            msg = email.message_from_bytes(acks[0].data, policy=email.policy.default)
            body = msg.get_body(("plain",))
            print(body.get_content() if body is not None else "")
        _heading("The web: the citizens' form and the staff's register")
        web = _start_web(cfg_path, env)
        _heading("Done")
        print(f"{len(sink.received)} mails sent, demo took {time.monotonic() - started:.1f} s. "
              f"Database: {work / 'mailflow.db'}")
        if not args.keep:
            print("`scripts/demo --keep` leaves the servers and the web running to try them.")
        if args.keep:
            print("Servers and the web are still running; stop them with Ctrl-C.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    finally:
        if web is not None:
            web.stop()
        sink.stop()
        dovecot.stop()
        shutil.rmtree(mail_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
