"""CSRF tokens, passwords, sessions and counters, all kept in the database so every process agrees.

- The signing key is made once and kept in `web_keys`; tokens are HMACs over it.
- A citizen's form carries a random key (its idempotency key) and a CSRF token
  bound to that key, to the time it was made and to a cookie of the browser's
  (double submit): a form posted from another site, or one past its time, is refused.
- A staff form's token is bound to the session: a token of an ended session is stale.
- Passwords are argon2 hashes (argon2-cffi); sessions are random tokens in an
  HttpOnly, SameSite=Lax cookie (Secure over HTTPS), stored as their SHA-256 only.
- Counters (rate limits, login failures) are rows per key and time window.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from mailflow.adapters.store import Store
from mailflow.adapters.tables import WebCounterRow, WebKeyRow, WebSessionRow, WebUserRow

_HASHER = PasswordHasher()
# checked when the account does not exist, so an unknown address costs as much time as a wrong password
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))
SESSION_COOKIE = "mf_session"
FORM_COOKIE = "mf_form"
_T_COUNTERS = WebCounterRow.__table__  # type: ignore[attr-defined]


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class Keys:
    """The signing key, made once for all processes (the first one to need it writes it)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._key: bytes | None = None

    def key(self) -> bytes:
        if self._key is None:
            with self.store.transaction(readonly=True) as reg:
                found = reg.session.execute(select(WebKeyRow.value).where(WebKeyRow.name == "signing")).scalar()
            if found is None:
                try:
                    with self.store.transaction() as reg:
                        reg.session.add(WebKeyRow(name="signing", value=secrets.token_hex(32)))
                except IntegrityError:
                    pass  # another process made it first
                with self.store.transaction(readonly=True) as reg:
                    found = reg.session.execute(select(WebKeyRow.value).where(WebKeyRow.name == "signing")).scalar_one()
            self._key = bytes.fromhex(found)
        return self._key

    def sign(self, *parts: str) -> str:
        return hmac.new(self.key(), "|".join(parts).encode("utf-8"), hashlib.sha256).hexdigest()[:40]

    def pseudonym(self, value: str) -> str:
        """A keyed hash of an IP or e-mail address, for counters (never the address in clear)."""
        return self.sign("pseudonym", value.strip().lower())[:24]

    # -- the citizen's form ------------------------------------------------------------------

    def form_token(self, org_id: str, form_key: str, browser: str, now: datetime) -> str:
        ts = str(int(now.timestamp()))
        return f"{ts}.{self.sign('form', org_id, form_key, browser, ts)}"

    def form_token_ok(self, token: str, org_id: str, form_key: str, browser: str, now: datetime,
                      valid: timedelta) -> bool:
        ts, _, sig = token.partition(".")
        if not ts.isdigit() or not browser or not form_key:
            return False
        age = now.timestamp() - int(ts)
        if age < -300 or age > valid.total_seconds():
            return False
        return hmac.compare_digest(sig, self.sign("form", org_id, form_key, browser, ts))

    # -- staff forms -----------------------------------------------------------------------

    def staff_token(self, session_id: str) -> str:
        return self.sign("staff", session_id)

    def staff_token_ok(self, token: str, session_id: str) -> bool:
        return bool(token) and hmac.compare_digest(token, self.staff_token(session_id))

    def login_token(self, browser: str) -> str:
        return self.sign("login", browser)


def count(store: Store, what: str, who: str, window: timedelta, now: datetime) -> int:
    """Add one to the counter of `who` for `what` in the current window; returns the count with it."""
    n = int(now.timestamp() // window.total_seconds())
    key = f"{what}:{who}:{n}"[:160]
    expires = datetime.fromtimestamp((n + 1) * window.total_seconds(), tz=now.tzinfo)
    with store.transaction() as reg:
        s = reg.session
        ins = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
        stmt = ins(_T_COUNTERS).values(key=key, count=1, expires_at=expires).on_conflict_do_update(
            index_elements=["key"], set_={"count": _T_COUNTERS.c.count + 1}).returning(_T_COUNTERS.c.count)
        value = int(s.execute(stmt).scalar_one())
        if value == 1:  # a new window: forget the windows that ended
            s.execute(delete(WebCounterRow).where(WebCounterRow.expires_at < now))
    return value


def peek(store: Store, what: str, who: str, window: timedelta, now: datetime) -> int:
    n = int(now.timestamp() // window.total_seconds())
    with store.transaction(readonly=True) as reg:
        found = reg.session.execute(select(WebCounterRow.count).where(
            WebCounterRow.key == f"{what}:{who}:{n}"[:160])).scalar()
    return int(found or 0)


@dataclass(frozen=True)
class SessionInfo:
    id: str
    user_id: int


def create_session(store: Store, user_id: int, now: datetime, max_age: timedelta) -> str:
    """A new session for the user; returns the cookie's token (the table keeps its hash)."""
    token = new_token()
    with store.transaction() as reg:
        reg.session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
        reg.session.execute(insert(WebSessionRow).values(id=token_hash(token), user_id=user_id, created_at=now,
                                                          last_seen_at=now, expires_at=now + max_age))
        reg.session.execute(update(WebUserRow).where(WebUserRow.id == user_id).values(
            last_login_at=now, failed_logins=0, locked_until=None))
    return token


def find_session(store: Store, token: str | None, now: datetime, idle: timedelta) -> SessionInfo | None:
    """The live session of a cookie's token, its last use brought up to date (once a minute at most)."""
    if not token or len(token) > 200:
        return None
    sid = token_hash(token)
    with store.transaction(readonly=True) as reg:
        row = reg.session.execute(select(WebSessionRow.user_id, WebSessionRow.last_seen_at, WebSessionRow.expires_at)
                                  .where(WebSessionRow.id == sid)).first()
    if row is None:
        return None
    user_id, seen, expires = row
    if expires <= now or seen + idle <= now:
        end_session(store, token)
        return None
    if now - seen > timedelta(minutes=1):
        with store.transaction() as reg:
            reg.session.execute(update(WebSessionRow).where(WebSessionRow.id == sid).values(last_seen_at=now))
    return SessionInfo(sid, int(user_id))


def end_session(store: Store, token: str | None) -> None:
    if not token:
        return
    with store.transaction() as reg:
        reg.session.execute(delete(WebSessionRow).where(WebSessionRow.id == token_hash(token)))


def end_user_sessions(store: Store, user_id: int) -> None:
    with store.transaction() as reg:
        reg.session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user_id))
