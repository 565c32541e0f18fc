"""Staff accounts: `mailflow user add|list|disable`, and reading the signed-in actor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from mailflow.adapters.store import Store
from mailflow.adapters.tables import WebUserRow
from mailflow.config import EMAIL_RE, Config
from mailflow.errors import MailflowError
from mailflow.web import security
from mailflow.web.access import ROLES, Actor

MIN_PASSWORD = 10


class UserError(MailflowError):
    """An account cannot be made or changed as asked."""


def check(cfg: Config, email: str, role: str, org_id: str | None, units: list[str]) -> None:
    if not EMAIL_RE.match(email):
        raise UserError(f"not an e-mail address: {email!r}")
    if role not in ROLES:
        raise UserError(f"--role must be one of {', '.join(ROLES)}")
    if role == "admin":
        if units:
            raise UserError("an administrator has no units (it sees every organization)")
        if org_id is not None:
            cfg.org(org_id) if org_id in {o.id for o in cfg.organizations} else _unknown_org(cfg, org_id)
        return
    if org_id is None:
        if len(cfg.organizations) != 1:
            raise UserError(f"--org is needed for a {role} (configured: {', '.join(o.id for o in cfg.organizations)})")
        org_id = cfg.organizations[0].id
    if org_id not in {o.id for o in cfg.organizations}:
        _unknown_org(cfg, org_id)
    org = cfg.org(org_id)
    if role == "manager" and not units:
        raise UserError("a manager needs at least one --unit")
    if role != "manager" and units:
        raise UserError("only a manager has units")
    for u in units:
        if org.unit(u) is None:
            raise UserError(f"--unit: no unit {u!r} in {org_id} (units: {', '.join(x.id for x in org.units)})")


def _unknown_org(cfg: Config, org_id: str) -> None:
    raise UserError(f"--org: no organization {org_id!r} (configured: {', '.join(o.id for o in cfg.organizations)})")


def add(cfg: Config, store: Store, email: str, role: str, org_id: str | None, units: list[str], password: str,
        now: datetime) -> WebUserRow:
    """Make an account, or give an existing one a new role, scope and password (and enable it)."""
    email = email.strip().lower()
    if org_id is None and role != "admin" and len(cfg.organizations) == 1:
        org_id = cfg.organizations[0].id
    check(cfg, email, role, org_id, units)
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    hashed = security.hash_password(password)
    with store.transaction() as reg:
        row = reg.session.execute(select(WebUserRow).where(WebUserRow.email == email)).scalar_one_or_none()
        if row is None:
            row = WebUserRow(email=email, role=role, org_id=org_id, units=list(units), password_hash=hashed,
                             created_at=now)
            reg.session.add(row)
        else:
            row.role, row.org_id, row.units, row.password_hash = role, org_id, list(units), hashed
            row.disabled, row.failed_logins, row.locked_until = False, 0, None
        reg.session.flush()
        return row


def listing(store: Store) -> list[WebUserRow]:
    with store.transaction(readonly=True) as reg:
        return list(reg.session.execute(select(WebUserRow).order_by(WebUserRow.email)).scalars())


def disable(store: Store, email: str) -> bool:
    """Disable the account and end its sessions; False when there is no such account."""
    with store.transaction() as reg:
        row = reg.session.execute(select(WebUserRow).where(WebUserRow.email == email.strip().lower())).scalar_one_or_none()
        if row is None:
            return False
        row.disabled = True
        user_id = row.id
    if user_id is not None:
        security.end_user_sessions(store, user_id)
    return True


def actor(store: Store, user_id: int) -> Actor | None:
    """The signed-in account as an actor; None when it is gone or disabled."""
    with store.transaction(readonly=True) as reg:
        row = reg.session.get(WebUserRow, user_id)
        if row is None or row.disabled:
            return None
        return Actor(id=int(row.id or 0), email=row.email, role=row.role, org_id=row.org_id, units=tuple(row.units or ()))
