"""The command line of SPEC section 5; the only place that turns errors into exit codes.

Exit codes: 0 done, 1 a mailflow error (bad config, unknown case, database),
2 wrong usage, 3 a pass that ran but could not reach every mailbox.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from mailflow import config as config_mod
from mailflow.errors import MailflowError, UnknownCase

log = logging.getLogger("mailflow")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mailflow", description="Complaint and opinion handling through mailboxes.")
    p.add_argument("--config", help="the service config file (default: $MAILFLOW_CONFIG or config/mailflow.toml)")
    p.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING (default: INFO for run, else WARNING)")
    p.add_argument("--log-format", choices=["text", "json"], default="text",
                   help="json: one JSON object per event, with the fields of the key=value lines")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="watch every mailbox, process, send, until stopped")
    run.add_argument("--once", action="store_true", help="one full pass, then exit")
    run.add_argument("--now", help="with --once: the clock for the pass (ISO 8601; local time if no offset)")
    run.add_argument("--web", action="store_true", help="serve the web (form and register) in the same process")
    run.add_argument("--host", default="127.0.0.1", help="with --web: the address to listen on")
    run.add_argument("--port", type=int, default=8080, help="with --web: the port to listen on")
    run.add_argument("--proxy-headers", action="store_true", help="with --web: trust X-Forwarded-* (see `web`)")
    run.add_argument("--forwarded-allow-ips", default="127.0.0.1", help="with --web: the trusted proxies")

    web = sub.add_parser("web", help="serve the citizens' form (/) and the staff's register (/staff)")
    web.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    web.add_argument("--port", type=int, default=8080, help="the port to listen on (default 8080)")
    web.add_argument("--proxy-headers", action="store_true",
                     help="trust X-Forwarded-For/-Proto from --forwarded-allow-ips (behind a reverse proxy)")
    web.add_argument("--forwarded-allow-ips", default="127.0.0.1",
                     help="the proxies whose X-Forwarded-* headers are trusted (default 127.0.0.1)")

    user = sub.add_parser("user", help="staff accounts of the web register")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    u_add = user_sub.add_parser("add", help="make an account (or give one a new role and password)")
    u_add.add_argument("email")
    u_add.add_argument("--role", required=True, choices=["registrar", "manager", "lex_sarah", "admin"])
    u_add.add_argument("--org", help="the organization (not for admin)")
    u_add.add_argument("--unit", action="append", default=[], help="a manager's unit (repeat for several)")
    u_add.add_argument("--password-env", help="the environment variable holding the password (else asked for)")
    user_sub.add_parser("list", help="list the accounts")
    u_dis = user_sub.add_parser("disable", help="disable an account and end its sessions")
    u_dis.add_argument("email")

    cases = sub.add_parser("cases", help="list cases")
    cases.add_argument("--org")
    cases.add_argument("--status", choices=["open", "awaiting_report", "answered", "closed"])
    cases.add_argument("--json", action="store_true")

    case = sub.add_parser("case", help="one case with its timeline")
    case.add_argument("ref")
    case.add_argument("--json", action="store_true")

    digest = sub.add_parser("digest", help="the registrar's digest for a day: printed, or mailed with --send")
    digest.add_argument("--org", help="one organization (default: all)")
    digest.add_argument("--date", help="the day (YYYY-MM-DD; default today)")
    digest.add_argument("--send", action="store_true", help="mail it to the registrar (once per day)")
    digest.add_argument("--html", action="store_true", help="print the HTML part instead of the text")

    report = sub.add_parser("report", help="statistics for a tertial or a year")
    report.add_argument("--org", required=True, help="an organization id, or all")
    report.add_argument("--period", required=True, help="2026-T1, 2026-T2, 2026-T3 or 2026")
    report.add_argument("--format", choices=["html", "csv", "json"], default="html")
    report.add_argument("--out", help="write to this file (default: standard output)")

    sub.add_parser("check-config", help="validate the config and reach every mailbox and the SMTP server")

    purge = sub.add_parser("purge", help="delete archived raw messages and person records past retention")
    purge.add_argument("--before", help="a date (YYYY-MM-DD, local time); default: today minus retention_days")

    quarantine = sub.add_parser("quarantine", help="list quarantined messages: mailbox, UID, date and reason")
    quarantine.add_argument("--org")
    quarantine.add_argument("--json", action="store_true")

    outbox = sub.add_parser("outbox", help="the mails mailflow sends: list them, or queue failed ones again")
    outbox_sub = outbox.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    ob_list = outbox_sub.add_parser("list", help="list mails (default: the failed ones)")
    ob_list.add_argument("--status", choices=["failed", "pending", "sent", "refused", "all"], default="failed",
                         help="refused: sent, but some recipients were refused")
    ob_list.add_argument("--org")
    ob_list.add_argument("--json", action="store_true")
    ob_retry = outbox_sub.add_parser("retry", help="queue failed mails again")
    ob_retry.add_argument("ids", nargs="*", type=int, help="outbox ids (from `outbox list`)")
    ob_retry.add_argument("--all", action="store_true", help="every failed mail")

    export = sub.add_parser("export", help="an organization's register as JSON Lines (cases, events, messages; "
                                           "de-identified, never the person records)")
    export.add_argument("--org", required=True)
    export.add_argument("--out", required=True, help="the file to write (- for standard output)")

    backup = sub.add_parser("backup", help="one consistent copy of the database (register and outbox together)")
    backup.add_argument("--out", required=True, help="the file to write (SQLite: a database file; "
                                                      "PostgreSQL: a pg_dump archive for pg_restore)")
    backup.add_argument("--print", action="store_true", dest="print_only",
                        help="PostgreSQL: print the pg_dump command instead of running it")

    corrections = sub.add_parser("corrections", help="the cases the registrar corrected, for tuning the lexicons")
    corrections.add_argument("--export", required=True, metavar="FILE",
                             help="write them as JSON Lines: de-identified text, first decision, corrected labels")
    corrections.add_argument("--org", help="one organization (default: all)")

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply migrations")
    return p


def _setup_logging(level: str | None, command: str, fmt: str = "text") -> None:
    name = (level or ("INFO" if command == "run" else "WARNING")).upper()
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        from mailflow.ops.logs import JsonFormatter

        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=getattr(logging, name, logging.INFO), handlers=[handler])
    # the token libraries and their HTTP stay quiet below WARNING, also with --log-level DEBUG
    for noisy in ("msal", "urllib3", "google.auth", "requests"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def parse_now(value: str, tz: ZoneInfo) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise MailflowError(f"--now: not an ISO 8601 date or time: {value!r}") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=tz)
    return at.astimezone(timezone.utc)


def _stop_before_serving(signum: int, frame: object) -> None:
    raise SystemExit(0)


def main(argv: Sequence[str] | None = None) -> int:
    # `run` stops cleanly on SIGTERM: before it serves (nothing in hand yet) by leaving at once, and
    # from then on by finishing the message in hand (`_serve`). Every other command, and a pass of
    # `run --once` (safe to end at any instant), ends as SIGTERM ends a program.
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread:
        signal.signal(signal.SIGTERM, _stop_before_serving)
    args = _parser().parse_args(argv)
    if main_thread and (args.command != "run" or args.once):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _setup_logging(args.log_level, args.command, args.log_format)
    try:
        cfg = config_mod.load(args.config)
        handler = {
            "run": cmd_run,
            "cases": cmd_cases,
            "case": cmd_case,
            "check-config": cmd_check_config,
            "db": cmd_db,
            "purge": cmd_purge,
            "digest": cmd_digest,
            "report": cmd_report,
            "quarantine": cmd_quarantine,
            "outbox": cmd_outbox,
            "web": cmd_web,
            "user": cmd_user,
            "export": cmd_export,
            "backup": cmd_backup,
            "corrections": cmd_corrections,
        }[args.command]
        return handler(cfg, args)
    except UnknownCase as exc:
        print(f"mailflow: {exc}", file=sys.stderr)
        return 1
    except MailflowError as exc:
        print(f"mailflow: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _store(cfg: config_mod.Config, check: bool = True) -> Any:
    from mailflow.adapters.store import Store

    store = Store(cfg.service.database_url)
    if check:
        store.check_schema()
    return store


def cmd_db(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    from mailflow.migrate import current_revision, head_revision, upgrade

    store = _store(cfg, check=False)
    before = current_revision(store.engine)
    upgrade(store.engine)
    after = current_revision(store.engine)
    print(f"database at {after} (was {before or 'empty'}; newest is {head_revision()})")
    return 0


def cmd_run(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    from mailflow.clock import FixedClock, SystemClock
    from mailflow.service import Service

    store = _store(cfg)
    tz = ZoneInfo(cfg.service.timezone)
    if args.now and not args.once:
        raise MailflowError("--now goes with --once")
    if args.web and args.once:
        raise MailflowError("--web goes with the service that keeps running, not with --once")
    clock = FixedClock(parse_now(args.now, tz)) if args.now else SystemClock()
    lock = None
    if store.sqlite_path():
        from mailflow.adapters.runlock import RunLock

        lock = RunLock(store.sqlite_path()).acquire()
    server = None
    try:
        reporter = None
        if cfg.metrics is not None and not args.once:
            from mailflow.ops import Monitor, OpsServer

            reporter = Monitor(cfg, store)
            try:
                server = OpsServer(cfg.metrics.address(), reporter).start()
            except OSError as exc:
                raise MailflowError(f"[metrics] bind {cfg.metrics.bind}: {exc.strerror or exc}") from None
        service = Service(cfg, store, clock, reporter=reporter)
        if args.once:
            return _print_pass(asyncio.run(service.run_once()))
        if args.web:
            return asyncio.run(_serve_with_web(service, args.host, args.port, args.proxy_headers,
                                               args.forwarded_allow_ips))
        return asyncio.run(_serve(service))
    finally:
        if server is not None:
            server.stop()
        if lock is not None:
            lock.release()


def _print_pass(report: Any) -> int:
    parts = [f"{n} {o}" for o, n in sorted(report.outcomes.items())] or ["no new messages"]
    print("pass: " + ", ".join(parts) + f"; deadline mails {report.deadline_mails}, digests {report.digests}; "
          f"mails sent {report.sent}, failed {report.send_failed}, to retry {report.send_retried}")
    for ref in report.refs:
        print(f"  registered {ref}")
    for line in report.quarantined:
        print(f"  quarantined {line}")
    if report.job_errors:
        print(f"  {report.job_errors} deadline or digest jobs failed (see the log); the rest went on",
              file=sys.stderr)
    for err in report.mailbox_errors:
        print(f"  mailbox unreachable: {err}", file=sys.stderr)
    if report.smtp_outage:
        print(f"  SMTP server unusable, mails wait in the outbox: {report.smtp_outage}", file=sys.stderr)
    return 3 if report.mailbox_errors or report.smtp_outage else 0


async def _serve(service: Any) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("event=started mailboxes=%d", len(service.mailboxes()))
    await service.run_forever(stop)
    log.info("event=stopped")
    return 0


async def _serve_with_web(service: Any, host: str, port: int, proxy_headers: bool = False,
                          forwarded_allow_ips: str = "127.0.0.1") -> int:
    """The service and the web in one process: a form's mails are sent as soon as it commits."""
    import uvicorn

    from mailflow.web.app import create_app

    app = create_app(service.config, service.store, service)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                                           proxy_headers=proxy_headers, forwarded_allow_ips=forwarded_allow_ips))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # the service's handlers below
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("event=started mailboxes=%d web=http://%s:%d/", len(service.mailboxes()), host, port)
    web = asyncio.create_task(server.serve())
    try:
        await service.run_forever(stop)
    finally:
        server.should_exit = True
        await web
    log.info("event=stopped")
    return 0


def cmd_web(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    import uvicorn

    from mailflow.web.app import create_app

    store = _store(cfg)
    app = create_app(cfg, store)
    print(f"mailflow web on http://{args.host}:{args.port}/ (the form) and /staff (the register)", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False,
                proxy_headers=args.proxy_headers, forwarded_allow_ips=args.forwarded_allow_ips)
    return 0


def cmd_user(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    import getpass
    import os

    from mailflow.web import users

    store = _store(cfg)
    if args.user_command == "list":
        rows = users.listing(store)
        if not rows:
            print("no accounts")
            return 0
        print(f"{'EMAIL':<44} {'ROLE':<10} {'ORG':<12} {'STATE':<9} UNITS")
        for r in rows:
            state = "disabled" if r.disabled else ("locked" if r.locked_until and r.locked_until > datetime.now(timezone.utc)
                                                   else "active")
            print(f"{r.email:<44} {r.role:<10} {r.org_id or '(all)':<12} {state:<9} {','.join(r.units or []) or '-'}")
        return 0
    if args.user_command == "disable":
        if not users.disable(store, args.email):
            raise MailflowError(f"no account {args.email!r}")
        print(f"{args.email} disabled; its sessions are ended")
        return 0
    if args.password_env:
        password = os.environ.get(args.password_env)
        if password is None:
            raise MailflowError(f"--password-env: {args.password_env} is not set")
    else:
        password = getpass.getpass(f"password for {args.email}: ")
        if password != getpass.getpass("again: "):
            raise MailflowError("the passwords differ")
    row = users.add(cfg, store, args.email, args.role, args.org, list(args.unit), password, datetime.now(timezone.utc))
    print(f"{row.email}: {row.role}" + (f" of {row.org_id}" if row.org_id else " (all organizations)")
          + (f", units {', '.join(row.units)}" if row.units else ""))
    return 0


def _tz(cfg: config_mod.Config, org_id: str) -> ZoneInfo:
    try:
        return cfg.org_timezone(cfg.org(org_id))
    except KeyError:
        return ZoneInfo(cfg.service.timezone)


def cmd_cases(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    from mailflow.adapters.queries import case_dict, list_cases

    store = _store(cfg)
    with store.transaction() as reg:
        rows = list_cases(reg.session, args.org, args.status)
        if args.json:
            print(json.dumps([case_dict(reg.session, r, _tz(cfg, r.org_id)) for r in rows], ensure_ascii=False, indent=2))
            return 0
        if not rows:
            print("no cases")
            return 0
        print(f"{'REF':<14} {'ORG':<10} {'KIND':<10} {'STATUS':<16} {'UNIT':<24} {'RECEIVED':<17} {'DUE':<10} FLAGS")
        for r in rows:
            received = r.received_at.astimezone(_tz(cfg, r.org_id)).strftime("%Y-%m-%d %H:%M")
            due = r.feedback_due.isoformat() if r.feedback_due else "-"
            unit = r.unit_id or ("(triage)" if r.handler_role == "triage" else "-")
            print(f"{r.ref:<14} {r.org_id:<10} {r.kind:<10} {r.status:<16} {unit:<24} {received:<17} {due:<10} "
                  f"{','.join(r.flags or []) or '-'}")
    return 0


def cmd_case(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    from mailflow.adapters.queries import case_dict, get_case

    store = _store(cfg)
    with store.transaction() as reg:
        row = get_case(reg.session, args.ref)
        data = case_dict(reg.session, row, _tz(cfg, row.org_id))
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print(_case_text(data))
    return 0


def _case_text(d: dict[str, Any]) -> str:
    lines = [
        f"{d['ref']}  {d['kind']}  [{d['status']}]  {d['org']}",
        f"  unit:            {d['unit'] or '-'} ({d['handler_role']})",
        f"  manager:         {d['manager'] or '-'}",
        f"  flags:           {', '.join(d['flags']) or '-'}",
        f"  channel:         {d['channel']}   language: {d['language']}",
        f"  received:        {d['received_at']}",
        f"  first response:  {d['first_response_due'] or '-'}",
        f"  feedback due:    {d['feedback_due'] or '-'}",
        f"  feedback at:     {d['feedback_at'] or '-'}",
        f"  escalation:      level {d['escalation_level']}",
    ]
    if d.get("triage"):
        lines.append(f"  triage:          {d['triage']}")
    lines.append("  why:             " + "; ".join(d["classification_cues"]))
    lines.append("")
    lines.append("timeline:")
    items: list[tuple[str, str]] = []
    for m in d["messages"]:
        arrow = "<-" if m["direction"] == "in" else "->"
        items.append((m["at"], f"{arrow} {m['purpose']:<12} {m['role']:<9} {m['subject']}  ({m['status']})"))
    for e in d["events"]:
        detail = ", ".join(f"{k}={v}" for k, v in e["detail"].items())
        items.append((e["at"], f"   {e['kind']:<12} {e['actor']:<9} {detail}"))
    for at, text in sorted(items, key=lambda x: x[0]):
        lines.append(f"  {at[:16].replace('T', ' ')}  {text}")
    texts = [m for m in d["messages"] if m["direction"] == "in" and m["text"]]
    for m in texts:
        lines.append("")
        lines.append(f"--- {m['purpose']} {m['at'][:16].replace('T', ' ')} (de-identified) ---")
        lines.append(m["text"])
    return "\n".join(lines)


def cmd_purge(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    from mailflow.adapters.retention import purge

    tz = ZoneInfo(cfg.service.timezone)
    if args.before:
        try:
            day = date.fromisoformat(args.before)
        except ValueError:
            raise MailflowError(f"--before: not a date (YYYY-MM-DD): {args.before!r}") from None
    else:
        day = datetime.now(tz).date() - timedelta(days=cfg.service.retention_days)
    before = datetime(day.year, day.month, day.day, tzinfo=tz)
    store = _store(cfg)
    with store.transaction() as reg:
        done = purge(reg.session, before)
    print(f"purged everything archived before {day.isoformat()}: {done.raw_messages} raw messages, "
          f"{done.mail_bodies} sent mail bodies, {done.people} person records")
    return 0


def _orgs(cfg: config_mod.Config, org_id: str | None) -> list[config_mod.Organization]:
    if not org_id or org_id == "all":
        return list(cfg.organizations)
    try:
        return [cfg.org(org_id)]
    except KeyError:
        known = ", ".join(o.id for o in cfg.organizations)
        raise MailflowError(f"--org: no organization {org_id!r} (configured: {known})") from None


def cmd_digest(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    from mailflow.clock import SystemClock
    from mailflow.service import Service

    service = Service(cfg, _store(cfg), SystemClock())
    for org in _orgs(cfg, args.org):
        tz = service.calendars[org.id].tz
        try:
            day = date.fromisoformat(args.date) if args.date else datetime.now(tz).date()
        except ValueError:
            raise MailflowError(f"--date: not a date (YYYY-MM-DD): {args.date!r}") from None
        if args.send:
            if service.jobs.queue_digest(org, day):
                result = asyncio.run(service.send_outbox())
                print(f"{org.id}: digest for {day} queued for {org.registrar}; mails sent {result.sent}, "
                      f"failed {result.failed}" + (f"; SMTP unusable: {result.outage}" if result.outage else ""))
            else:
                print(f"{org.id}: the digest for {day} was already sent")
            continue
        subject, text, html, since = service.jobs.render_digest(org, day)
        if args.html:
            print(html)
        else:
            print(f"Ämne: {subject}\n\n{text}")
    return 0


def cmd_report(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    from mailflow.adapters import queries
    from mailflow.clock import SystemClock
    from mailflow.reports import Period, period_stats, report_csv, report_html, report_json
    from mailflow.service import Service

    try:
        period = Period.parse(args.period)
    except ValueError as exc:
        raise MailflowError(f"--period: {exc}") from None
    service = Service(cfg, _store(cfg), SystemClock())
    now = service.clock.now()
    stats = []
    for org in _orgs(cfg, args.org):
        cal = service.calendars[org.id]
        start = datetime.combine(period.start, datetime.min.time(), tzinfo=cal.tz) - timedelta(days=1)
        end = datetime.combine(period.end, datetime.min.time(), tzinfo=cal.tz) + timedelta(days=2)
        with service.store.transaction() as reg:
            recs = queries.case_records_between(reg.session, org.id, start, end)
            fixed = queries.corrections_between(reg.session, org.id, start, end)
        recs = [replace(r, corrected=fixed[r.ref]) if r.ref in fixed else r for r in recs]
        stats.append(period_stats(org, period, recs, cal, as_of=now))
    if args.format == "csv":
        data = report_csv(stats)
    elif args.format == "json":
        data = report_json(stats).encode("utf-8")
    else:
        data = report_html(stats).encode("utf-8")
    if args.out:
        with open(args.out, "wb") as fh:
            fh.write(data)
        print(f"wrote {args.out} ({len(data)} bytes, {args.format}, {', '.join(s.org_id for s in stats)}, {period.key})")
    elif hasattr(sys.stdout, "buffer"):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:  # a text-only stream (tests capture output this way)
        sys.stdout.write(data.decode("utf-8-sig"))
    return 0


def cmd_corrections(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    """`corrections --export FILE`: the corrected cases as JSON Lines, one case a line, no identity."""
    from mailflow.adapters import queries

    if args.org:
        _orgs(cfg, args.org)  # an unknown organization is an error, not an empty file
    store = _store(cfg)
    with store.transaction() as reg:
        found = queries.corrected_cases(reg.session, lambda org_id: _tz(cfg, org_id), args.org)
    lines = "".join(json.dumps(c.as_json(), ensure_ascii=False) + "\n" for c in found)
    try:
        with open(args.export, "w", encoding="utf-8") as fh:
            fh.write(lines)
    except OSError as exc:
        raise MailflowError(f"--export: cannot write {args.export}: {exc.strerror or exc}") from None
    per = {d: sum(1 for c in found if d in c.decisions) for d in ("kind", "unit", "lex_sarah", "anonymous")}
    print(f"wrote {args.export} ({len(found)} corrected cases: " + ", ".join(f"{d} {n}" for d, n in per.items())
          + ")")
    return 0


def cmd_quarantine(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    from mailflow.adapters.queries import quarantined

    if args.org:
        _orgs(cfg, args.org)
    store = _store(cfg)
    with store.transaction(readonly=True) as reg:
        items = quarantined(reg.session, args.org)
    if args.json:
        print(json.dumps([{k: (v.isoformat(timespec="seconds") if isinstance(v, datetime) else v)
                           for k, v in i.items()} for i in items], ensure_ascii=False, indent=2))
        return 0
    if not items:
        print("no quarantined messages")
        return 0
    print(f"{'RECEIVED':<17} {'MAILBOX':<22} {'UID':>7}  REASON")
    for i in items:
        at = i["received_at"].astimezone(_tz(cfg, i["org"])).strftime("%Y-%m-%d %H:%M")
        uid = str(i["uid"]) if i["uid"] is not None else "-"
        print(f"{at:<17} {i['mailbox'] or i['org']:<22} {uid:>7}  {i['reason'] or '-'}")
    print(f"{len(items)} message(s); they lie in each mailbox's quarantine folder, with the reason as an IMAP keyword")
    return 0


def _who(cfg: config_mod.Config, org_id: str, address: str) -> str:
    """A refused recipient as the registrar may see it: staff by address, a citizen by role."""
    try:
        org = cfg.org(org_id)
    except KeyError:
        return "a recipient"
    return address if org.is_staff(address) else "the citizen"


def cmd_outbox(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    from mailflow.adapters.queries import outbox_rows, retry_failed

    store = _store(cfg)
    if args.outbox_command == "retry":
        if not args.ids and not args.all:
            raise MailflowError("outbox retry: give outbox ids (see `mailflow outbox list`) or --all")
        with store.transaction() as reg:
            n = retry_failed(reg.session, None if args.all else list(args.ids), datetime.now(timezone.utc))
        print(f"{n} failed mail(s) queued again; `mailflow run` sends them")
        return 0
    if args.org:
        _orgs(cfg, args.org)
    with store.transaction(readonly=True) as reg:
        rows = outbox_rows(reg.session, args.status, args.org)
    items = []
    for row, ref in rows:
        items.append({
            "id": row.id, "org": row.org_id, "case": ref, "purpose": row.purpose, "status": row.status,
            "attempts": row.attempts, "created_at": row.created_at.isoformat(timespec="seconds"),
            "sent_at": row.sent_at.isoformat(timespec="seconds") if row.sent_at else None,
            "error": row.last_error,
            "refused": [{"to": _who(cfg, row.org_id, r.get("to", "")), "code": r.get("code"),
                         "reason": r.get("reason")} for r in (row.refused or [])],
        })
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return 0
    if not items:
        print(f"no {args.status} mails" if args.status != "all" else "the outbox is empty")
        return 0
    print(f"{'ID':>6} {'CASE':<14} {'PURPOSE':<12} {'STATUS':<8} {'TRIES':>5}  WHY")
    for i in items:
        why = i["error"] or ""
        if i["refused"]:
            why = (why + "; " if why else "") + "refused: " + ", ".join(
                f"{r['to']} ({r['code'] or '-'}: {r['reason']})" for r in i["refused"])
        print(f"{i['id']:>6} {i['case'] or '-':<14} {i['purpose']:<12} {i['status']:<8} {i['attempts']:>5}  {why or '-'}")
    if args.status == "failed":
        print("queue them again with `mailflow outbox retry ID ...` or `mailflow outbox retry --all`")
    return 0


def cmd_export(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    from mailflow.adapters.export import export_org

    org = _orgs(cfg, args.org)[0] if args.org != "all" else None
    if org is None:
        raise MailflowError("export: --org takes one organization id")
    store = _store(cfg)
    if args.out == "-":
        with store.transaction(readonly=True) as reg:
            export_org(reg.session, org, cfg.org_timezone(org), sys.stdout.write)
        return 0
    tmp = f"{args.out}.partial"
    try:
        with open(tmp, "w", encoding="utf-8") as fh, store.transaction(readonly=True) as reg:
            counts = export_org(reg.session, org, cfg.org_timezone(org), fh.write)
        os.replace(tmp, args.out)
    except OSError as exc:
        raise MailflowError(f"export: cannot write {args.out}: {exc.strerror}") from None
    print(f"wrote {args.out}: {counts['cases']} cases, {counts['messages']} messages, {counts['events']} events "
          f"of {org.id} (JSON Lines, de-identified; no person records)")
    return 0


def cmd_backup(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    from pathlib import Path

    from mailflow.adapters import backup

    out = Path(args.out)
    store = _store(cfg, check=False)
    path = store.sqlite_path()
    if path:
        if args.print_only:
            print(f'sqlite3 {path} ".backup {out}"   # then copy {path}.sent-journal/ beside it')
            return 0
        done = backup.sqlite_backup(str(path), out)
    else:
        if args.print_only:
            cmd, env = backup.pg_dump_command(cfg.service.database_url, out)
            print(("PGPASSWORD=... " if env else "") + " ".join(cmd))
            return 0
        done = backup.pg_backup(cfg.service.database_url, out)
    print(f"wrote {done.path} ({done.bytes} bytes, {done.how}); the register and the outbox are of one moment")
    return 0


def cmd_check_config(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    from mailflow.checks import run_checks

    ok = True
    for name, error in run_checks(cfg):
        if error is None:
            print(f"ok    {name}")
        elif error.startswith("note: "):
            print(f"note  {name}: {error[6:]}")
        else:
            ok = False
            print(f"FAIL  {name}: {error}")
    print("configuration is fine" if ok else "configuration has problems (see FAIL lines)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
