"""A throwaway Dovecot for the demo and the tests: loopback only, plain auth, Maildir.

Every user name logs in with the one password (a static passdb), and every
user's home is created on first use, so any address can be a mailbox without
setting it up. Needs Debian's `dovecot-imapd`; never touches the system config.

With `oauth2_introspection` it accepts XOAUTH2 and OAUTHBEARER only: Dovecot's
own `oauth2` passdb asks that URL (RFC 7662 introspection, `?user=` the login
name) whether a token opens the mailbox, as Exchange Online or Gmail would
decide; the helpers then log in with a token from `token_for`. `capability`
replaces the CAPABILITY Dovecot announces (a server without MOVE, say).
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from imap_tools.utils import encode_folder

MAIL_USER = "mailflowvmail"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dovecot_binary() -> str:
    found = os.environ.get("MAILFLOW_DOVECOT") or shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not Path(found).exists():
        raise RuntimeError(
            "Dovecot is not installed: on Debian or Ubuntu run `apt-get install dovecot-imapd` "
            "(scripts/test and scripts/demo do this when run as root)"
        )
    return found


def _mail_ids() -> tuple[int, int, str]:
    """The uid/gid mail files belong to: a system user when root, else ourselves."""
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam(MAIL_USER)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                 "--shell", "/usr/sbin/nologin", MAIL_USER],
                check=True,
            )
            pw = pwd.getpwnam(MAIL_USER)
        return pw.pw_uid, pw.pw_gid, MAIL_USER
    pw = pwd.getpwuid(os.geteuid())
    return pw.pw_uid, pw.pw_gid, pw.pw_name


class Dovecot:
    """Start, use and stop one Dovecot instance under `root`."""

    def __init__(self, root: Path, port: int | None = None, password: str = "secret", *,
                 oauth2_introspection: str | None = None, token_for: Callable[[str], str] | None = None,
                 capability: str | None = None) -> None:
        self.root = Path(root).resolve()
        self.port = port or free_port()
        self.password = password
        self.host = "127.0.0.1"
        self.conf = self.root / "dovecot.conf"
        self.oauth2_introspection = oauth2_introspection
        self.token_for = token_for
        self.capability = capability

    def _passdb(self) -> str:
        if self.oauth2_introspection is None:
            return f"""auth_mechanisms = plain login
passdb {{
  driver = static
  args = password={self.password}
}}"""
        # 1. Dovecot's own oauth2 passdb: a token bound to a user (a delegated sign-in, a Google service
        #    account's subject) opens that user's mailbox. (Dovecot 2.3.19 cannot put the login name into
        #    the introspection URL, and its "post" mode with force_introspection fails an assertion.)
        ext = self.root / "dovecot-oauth2.conf.ext"
        ext.write_text(f"""introspection_mode = post
introspection_url = {self.oauth2_introspection}
username_attribute = username
active_attribute = active
active_value = true
""")
        # 2. an app's token (client credentials) names no user: Exchange opens every mailbox the app was
        #    given. XOAUTH2 hands the token to a checkpassword passdb as the password; the script asks the
        #    same introspection endpoint with the login name, which knows the app's mailboxes.
        script = self.root / "check-app-token"
        # Dovecot's auth worker runs it as its own user: a Python it can reach (not one under /root)
        python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
        script.write_text(f"""#!{python}
import json, os, sys, urllib.parse, urllib.request
data = b""
while True:
    chunk = os.read(3, 65536)
    if not chunk:
        break
    data += chunk
user, token = data.split(b"\\0")[:2]
form = urllib.parse.urlencode({{"token": token.decode(), "user": user.decode()}}).encode()
try:
    with urllib.request.urlopen({self.oauth2_introspection!r}, data=form, timeout=10) as resp:
        answer = json.load(resp)
except Exception:
    sys.exit(111)
if answer.get("active") is not True:
    sys.exit(1)
os.environ["USER"] = user.decode()
os.execv(sys.argv[1], sys.argv[1:])
""")
        script.chmod(0o755)
        return f"""auth_mechanisms = xoauth2 oauthbearer
auth_failure_delay = 0
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {ext}
}}
passdb {{
  driver = checkpassword
  mechanisms = xoauth2 oauthbearer
  args = {script}
}}"""

    def _write_config(self) -> None:
        uid, gid, user = _mail_ids()
        run, state, mail = self.root / "run", self.root / "state", self.root / "mail"
        for d in (run, state, mail):
            d.mkdir(parents=True, exist_ok=True)
        os.chown(mail, uid, gid)
        os.chmod(self.root, 0o755)
        unprivileged = ""
        if os.geteuid() != 0:
            unprivileged = f"default_internal_user = {user}\ndefault_login_user = {user}\n"
        self.conf.write_text(
            f"""# generated by mailflow.testing.dovecot -- not the system config
instance_name = mailflow-{self.port}
base_dir = {run}
state_dir = {state}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
log_path = {self.root}/dovecot.log
{f"imap_capability = {self.capability}" if self.capability else ""}
{unprivileged}first_valid_uid = {uid}
last_valid_uid = {uid}
mail_location = maildir:~/Maildir
mail_uid = {uid}
mail_gid = {gid}
{self._passdb()}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%d/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service imap {{
  process_limit = 256
}}
service anvil {{
  chroot =
}}
protocol imap {{
  mail_max_userip_connections = 200
}}
"""
        )

    def start(self) -> Dovecot:
        self._write_config()
        subprocess.run([dovecot_binary(), "-c", str(self.conf)], check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"Dovecot did not start on port {self.port}; see {self.root}/dovecot.log")

    def stop(self) -> None:
        pidfile = self.root / "run" / "master.pid"
        if not pidfile.exists():
            return
        pid = int(pidfile.read_text().strip() or 0)
        subprocess.run([dovecot_binary(), "-c", str(self.conf), "stop"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while pid and time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                return
            time.sleep(0.05)

    # -- helpers for the demo and the tests ------------------------------------------

    def kick(self, user: str) -> None:
        """Drop every IMAP connection of a user, as a server restart would."""
        doveadm = str(Path(dovecot_binary()).with_name("doveadm"))
        if not Path(doveadm).exists():
            doveadm = shutil.which("doveadm") or "doveadm"
        subprocess.run([doveadm, "-c", str(self.conf), "kick", user], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def connect(self, user: str) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=30)
        if self.oauth2_introspection is not None and self.token_for is not None:
            auth = f"user={user}\1auth=Bearer {self.token_for(user)}\1\1".encode()
            conn.authenticate("XOAUTH2", lambda _: auth)
        else:
            conn.login(user, self.password)
        return conn

    def folders(self, user: str) -> list[bytes]:
        """The folder names as the server lists them (modified UTF-7 on the wire)."""
        conn = self.connect(user)
        try:
            typ, data = conn.list()
            return [d for d in data if isinstance(d, bytes)]
        finally:
            conn.logout()

    def append(self, user: str, raw: bytes, when: datetime | None = None, folder: str = "INBOX") -> None:
        """Deliver a message straight into a mailbox, with its INTERNALDATE."""
        conn = self.connect(user)
        try:
            if folder.upper() != "INBOX":
                conn.create(encode_folder(folder))  # type: ignore[arg-type]
            date = imaplib.Time2Internaldate(when) if when is not None else None
            typ, data = conn.append(encode_folder(folder), "", date, raw)  # type: ignore[arg-type]
            if typ != "OK":
                raise RuntimeError(f"APPEND refused: {data!r}")
        finally:
            conn.logout()

    def messages(self, user: str, folder: str = "INBOX") -> list[bytes]:
        """Every message in a folder, oldest first (an absent folder is empty)."""
        conn = self.connect(user)
        try:
            typ, _ = conn.select(encode_folder(folder), readonly=True)  # type: ignore[arg-type]
            if typ != "OK":
                return []
            typ, data = conn.uid("SEARCH", None, "ALL")  # type: ignore[arg-type]  # no charset
            uids = data[0].split() if data and data[0] else []
            out = []
            for uid in uids:
                typ, got = conn.uid("FETCH", uid, "(BODY.PEEK[])")
                for item in got:
                    if isinstance(item, tuple):
                        out.append(bytes(item[1]))
            return out
        finally:
            conn.logout()
