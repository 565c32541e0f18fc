"""check-config: render every template once, reach the database, every mailbox and SMTP."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timezone

import aiosmtplib

from mailflow.adapters.imap import ImapMailbox
from mailflow.adapters.templates import MAILS, Templates
from mailflow.config import Config, Organization, secret
from mailflow.deadlines import WorkCalendar
from mailflow.errors import MailflowError
from mailflow.model import Attachment
from mailflow.reports import build_digest, digest_context
from mailflow.schedule import Party


def sample_context(org: Organization, name: str) -> dict[str, object]:
    """Plausible values for every template variable, to render each template once."""
    unit = org.units[0]
    return {
        "ref": f"{org.case_prefix}-2026-0001",
        "org": org,
        "kind": "complaint",
        "kind_label": "klagomål",
        "channel": "phone",
        "unit_name": unit.name,
        "provider_name": "",
        "greeting_name": "Exempel",
        "original_subject": "Exempelärende",
        "first_response_due": date(2026, 1, 9),
        "feedback_due": date(2026, 1, 16),
        "contact": org.contact,
        "flags": (),
        "cues": (),
        "unit": unit,
        "handler_role": "unit",
        "triage": False,
        "received_at": datetime(2026, 1, 2, 9, 0, tzinfo=timezone.utc),
        "policy": org.policy,
        "anonymous": False,
        "citizen_address": "medborgare@example.com",
        "registrar": org.registrar,
        "original_from": "Exempel Exempelsson",
        "original_text": "Exempeltext.",
        "attachments": (Attachment("bild.jpg", "image/jpeg", 1000),),
        "original_attached": True,
        "notes": ("Utfört: #enhet hemtjanst",),
        "contact_lines": ["Exempel Exempelsson", "070-000 00 00"],
        "received_by": org.registrar,
        "citizen_language": "fi",
        "answer_text": "",
        "manager_name": unit.manager_name,
        # the deadline job's mails (see mailflow/schedule.py)
        "about": "first_response",
        "deadline": date(2026, 1, 9),
        "level": 1,
        "recipient_name": "Exempel",
        "recipient_role": "department_head",
        "department_name": org.departments[0].name,
        "manager_email": unit.manager,
        "counterpart_name": "",
        "counterpart_email": "",
        "summary": "Exempelärende",
        "report_due": None,
        "days_left": 1,
        "overdue_working_days": 1,
        "earlier": [Party("manager", unit.manager_name, unit.manager)],
        "delay_reason": org.policy.delay_reason,
        "handled_by_name": org.departments[0].head_name,
        "handled_by_email": org.departments[0].head,
        "handled_by_role": "department_head",
        # the outage notice (mailflow/jobs.py)
        "what": "SMTP smtp.example.se:587",
        "started_at": datetime(2026, 1, 2, 9, 0, tzinfo=timezone.utc),
        "ended_at": datetime(2026, 1, 2, 9, 40, tzinfo=timezone.utc),
        "error": "SMTPConnectError: connection refused",
        "failures": 12,
        "resolved": False,
    }


def render_sample(templates: Templates, org: Organization, name: str, lang: str) -> tuple[str, str, str]:
    """One template rendered once with plausible values (`lang` must have a catalog: ConfigError otherwise)."""
    if lang not in templates.languages:
        from mailflow.errors import ConfigError

        raise ConfigError(str(templates.locale_dir or "mailflow/locale"), "languages", f"no catalog for {lang!r}")
    if name == "digest":
        digest = build_digest(org, date(2026, 1, 2), datetime(2026, 1, 1, 7, 30, tzinfo=timezone.utc),
                              [], [], [], WorkCalendar())
        return templates.render(name, lang, **digest_context(digest, org, lang))
    return templates.render(name, lang, **sample_context(org, name))


def run_checks(cfg: Config) -> list[tuple[str, str | None]]:
    results: list[tuple[str, str | None]] = [(f"config {cfg.path} ({len(cfg.organizations)} organizations)", None)]

    def check(name: str, fn: object) -> None:
        try:
            fn()  # type: ignore[operator]
            results.append((name, None))
        except MailflowError as exc:
            results.append((name, str(exc)))
        except Exception as exc:  # noqa: BLE001  anything else is also a failed check, reported, not raised
            results.append((name, f"{type(exc).__name__}: {exc}"))

    try:
        templates = Templates(cfg.templates_dir())
    except MailflowError as exc:
        results.append(("templates", str(exc)))
        templates = None
    if templates is not None:
        for org in cfg.organizations:
            for lang in org.languages:
                for name in MAILS:
                    check(f"template {name} ({lang}) for {org.id}",
                          lambda o=org, n=name, la=lang: render_sample(templates, o, n, la))

    def database() -> str | None:
        from mailflow.adapters.store import Store
        from mailflow.migrate import current_revision

        store = Store(cfg.service.database_url)
        try:
            if current_revision(store.engine) is None:
                return "note: the database is empty; `mailflow db upgrade` will create it"
            store.check_schema()
        finally:
            store.dispose()
        return None

    name = f"database {cfg.service.database_url.split('@')[-1]}"
    try:
        results.append((name, database()))
    except MailflowError as exc:
        results.append((name, str(exc)))
    except Exception as exc:  # noqa: BLE001  a database that cannot be reached is a failed check, not a crash
        results.append((name, f"{type(exc).__name__}: {str(exc)[:300]}"))

    for org in cfg.organizations:
        for label, settings in (("complaints", org.imap), ("registrar", org.registrar_imap)):
            if settings is None:
                continue

            def imap(s=settings) -> None:
                box = ImapMailbox(s)
                try:
                    box.connect()
                finally:
                    box.close()

            check(f"IMAP {org.id} {label} mailbox {settings.username} at {settings.host}:{settings.port}", imap)

    check(f"SMTP {cfg.smtp.host}:{cfg.smtp.port}", lambda: asyncio.run(_smtp(cfg)))
    return results


async def _smtp(cfg: Config) -> None:
    s = cfg.smtp
    client = aiosmtplib.SMTP(hostname=s.host, port=s.port, use_tls=s.ssl, start_tls=s.starttls and not s.ssl,
                             timeout=s.timeout_seconds)
    try:
        await client.connect()
        if s.username:
            await client.login(s.username, secret(s.password_env, what="the SMTP server"))
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise MailflowError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        if client.is_connected:
            await client.quit()
