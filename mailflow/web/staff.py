"""The staff's register: sign-in, the case list with filters and search, the case page, and actions on a case.

Every view asks `access.allowed` (or selects with `access.visible`); a case the
actor may not see is "not found", the same answer as a case that does not exist.
Every case page view, identity shown, download and change is logged in
`web_access_log`. Every form carries the session's CSRF token.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mailflow import pipeline
from mailflow.adapters import queries
from mailflow.adapters.outbox import queue_many
from mailflow.adapters.store import case_changes
from mailflow.adapters.tables import (
    CaseEventRow,
    CaseRow,
    MessageRow,
    PersonRow,
    WebAccessRow,
    WebUserRow,
)
from mailflow.labels import KINDS, flag_labels
from mailflow.pipeline import web as web_pipeline
from mailflow.pipeline.deidentify import name_parts, scrub
from mailflow.text import summary as one_line
from mailflow.web import access, security, texts
from mailflow.web.access import Actor
from mailflow.web.render import SECURITY_HEADERS
from mailflow.web.state import WebState, client_ip, set_cookie
from mailflow.web.users import actor as load_actor

log = logging.getLogger(__name__)

LANG = "sv"  # the register speaks Swedish (msgids are English; the catalog has the Swedish)
PAGE_SIZE = 300
STATUSES = ("open", "awaiting_report", "answered", "closed")
FLAGS = ("lex_sarah", "about_employee", "anonymous", "external_provider", "other_district")
COMMANDS = {  # the web's actions, as the mail command line they are
    "kind": "#typ {arg}", "unit": "#enhet {arg}", "lex_sarah": "#lexsarah", "anonymous": "#anonym",
    "close": "#stäng", "action": "#åtgärd {arg}", "preventive_action": "#förebyggande {arg}",
}
FEEDBACK_WAYS = ("phone", "letter", "meeting", "visit")
View = Callable[[Request, WebState, Actor, str], Awaitable[Response]]


def _(message: str, **values: object) -> str:
    return str(texts.gettext_for(LANG)(message, **values))


def _state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def _session_token(request: Request) -> str | None:
    return request.cookies.get(security.SESSION_COOKIE)


def signed_in(view: View) -> Callable[[Request], Awaitable[Response]]:
    """The view for a signed-in, enabled account; else to the sign-in page."""

    async def wrapper(request: Request) -> Response:
        state = _state(request)
        w = state.config.web
        info = security.find_session(state.store, _session_token(request), state.clock.now(),
                                     timedelta(hours=w.session_idle_hours))
        actor = load_actor(state.store, info.user_id) if info is not None else None
        if info is None or actor is None:
            if request.method == "POST":
                return _page(request, "staff_message.html.j2", None, "", status=403,
                             title=_("You are signed out"),
                             message=_("Your session has ended, so nothing was changed. Sign in and try again."))
            return RedirectResponse("/staff/login?" + urlencode({"next": request.url.path}), status_code=303)
        return await view(request, state, actor, info.id)

    wrapper.__name__ = view.__name__
    return wrapper


def _page(request: Request, name: str, actor: Actor | None, session_id: str, status: int = 200,
          **context: Any) -> Response:
    state = _state(request)
    csrf = state.keys.staff_token(session_id) if session_id else ""
    return state.pages.page(request, name, LANG, status=status, actor=actor, csrf=csrf,
                            site_name=_("Register of feedback and complaints"), switch_languages=False,
                            role_names=access.ROLE_NAMES, wide=True, **context)


async def _form(request: Request, session_id: str) -> dict[str, str] | None:
    """The posted fields, or None when the CSRF token is not this session's (a stale or foreign form)."""
    data = await request.form(max_files=0, max_fields=20, max_part_size=64 * 1024)
    fields = {k: v for k, v in data.items() if isinstance(v, str)}
    if not _state(request).keys.staff_token_ok(fields.get("csrf", ""), session_id):
        return None
    return fields


def _stale(request: Request, actor: Actor, session_id: str) -> Response:
    log.info("event=staff_csrf_refused user_id=%s", actor.id)
    return _page(request, "staff_message.html.j2", actor, session_id, status=403, title=_("The form has expired"),
                 message=_("The page was open from an earlier session or came from another site. Nothing was "
                           "changed. Open the page again and repeat what you did."))


def log_access(s: Session, actor: Actor, action: str, ref: str | None, now: datetime, **detail: Any) -> None:
    s.add(WebAccessRow(at=now, user_email=actor.email, action=action, case_ref=ref, detail=detail))


# -- sign-in -------------------------------------------------------------------------------


def _login_page(request: Request, status: int = 200, error: str = "", email: str = "") -> Response:
    state = _state(request)
    browser = request.cookies.get(security.FORM_COOKIE) or security.new_token()
    nxt = request.query_params.get("next", "")
    response = state.pages.page(request, "staff_login.html.j2", LANG, status=status, actor=None,
                                csrf=state.keys.login_token(browser), error=error, email=email,
                                next=nxt if nxt.startswith("/staff") else "",
                                site_name=_("Register of feedback and complaints"), switch_languages=False)
    if request.cookies.get(security.FORM_COOKIE) != browser:
        set_cookie(state, request, response, security.FORM_COOKIE, browser, path="/staff", samesite="strict")
    return response


async def login(request: Request) -> Response:
    if request.method == "GET":
        return _login_page(request)
    state = _state(request)
    w = state.config.web
    now = state.clock.now()
    data = await request.form(max_files=0, max_fields=10, max_part_size=4096)
    fields = {k: v for k, v in data.items() if isinstance(v, str)}
    browser = request.cookies.get(security.FORM_COOKIE, "")
    email = fields.get("email", "").strip().lower()[:320]
    if not browser or fields.get("csrf", "") != state.keys.login_token(browser):
        return _login_page(request, 403, _("The sign-in form had expired. Try again."), email)
    ip = state.keys.pseudonym(client_ip(request))
    if security.count(state.store, "login-ip", ip, timedelta(minutes=15), now) > 10 * w.login_attempts:
        return _login_page(request, 429, _("Too many sign-in attempts from your network. Wait 15 minutes."), email)
    with state.store.transaction() as reg:
        row = reg.session.execute(select(WebUserRow).where(WebUserRow.email == email)).scalar_one_or_none()
        locked = row is not None and row.locked_until is not None and row.locked_until > now
        ok = security.check_password(row.password_hash if row is not None else None, fields.get("password", ""))
        if row is not None and not ok and not locked:
            row.failed_logins += 1
            if row.failed_logins >= w.login_attempts:
                row.locked_until = now + timedelta(minutes=w.lockout_minutes)
                row.failed_logins = 0
                locked = True
                log.warning("event=staff_locked_out user_id=%s", row.id)
        user_id = row.id if row is not None and ok and not locked and not row.disabled else None
    if user_id is None:
        log.info("event=staff_login_failed")
        message = _("Wrong e-mail address or password, or the account is locked for a while after too many "
                    "attempts.")
        return _login_page(request, 401, message, email)
    token = security.create_session(state.store, user_id, now, timedelta(hours=w.session_max_hours))
    nxt = fields.get("next", "")
    response = RedirectResponse(nxt if nxt.startswith("/staff") and "//" not in nxt else "/staff/cases", status_code=303)
    set_cookie(state, request, response, security.SESSION_COOKIE, token, path="/",
               max_age=int(w.session_max_hours * 3600))
    log.info("event=staff_login user_id=%s", user_id)
    return response


@signed_in
async def logout(request: Request, state: WebState, actor: Actor, session_id: str) -> Response:
    if await _form(request, session_id) is None:
        return _stale(request, actor, session_id)
    security.end_session(state.store, _session_token(request))
    response = RedirectResponse("/staff/login", status_code=303)
    response.delete_cookie(security.SESSION_COOKIE, path="/")
    return response


async def home(request: Request) -> Response:
    return RedirectResponse("/staff/cases", status_code=303)


# -- the case list ----------------------------------------------------------------------------


def _today(state: WebState) -> date:
    return state.clock.now().astimezone(texts_tz(state)).date()


def texts_tz(state: WebState) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(state.config.service.timezone)


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _search(s: Session, q: str) -> Any:
    """Cases whose de-identified text or subject holds the words (case-insensitive; SQLite too, for åäö)."""
    words = [w for w in q.split() if w][:8]
    conds = []
    for word in words:
        if s.get_bind().dialect.name == "sqlite":
            pattern = _like(word.casefold())
            text_has = or_(func.mf_fold(MessageRow.text).like(pattern, escape="\\"),
                           func.mf_fold(MessageRow.subject).like(pattern, escape="\\"))
        else:
            pattern = _like(word)
            text_has = or_(MessageRow.text.ilike(pattern, escape="\\"), MessageRow.subject.ilike(pattern, escape="\\"))
        conds.append(or_(CaseRow.ref == word.upper(),
                         CaseRow.id.in_(select(MessageRow.case_id).where(MessageRow.case_id.is_not(None), text_has))))
    return and_(*conds) if conds else None


def case_query(s: Session, state: WebState, actor: Actor, params: Any) -> Any:
    """The cases the actor may see, narrowed by the list's filters and search."""
    q = select(CaseRow).where(access.visible(actor))
    if params.get("org"):
        q = q.where(CaseRow.org_id == params["org"])
    if params.get("status") in STATUSES:
        q = q.where(CaseRow.status == params["status"])
    if params.get("kind") in KINDS:
        q = q.where(CaseRow.kind == params["kind"])
    if params.get("unit"):
        q = q.where(CaseRow.unit_id == params["unit"]) if params["unit"] != "-" else q.where(CaseRow.unit_id.is_(None))
    if params.get("flag") in FLAGS:
        q = q.where(access.has_flag(params["flag"]))
    today = _today(state)
    if params.get("due") == "overdue":
        q = q.where(CaseRow.status.in_(queries.ACTIVE), CaseRow.feedback_due < today)
    elif params.get("due") == "week":
        end = today + timedelta(days=6 - today.weekday())
        q = q.where(CaseRow.status.in_(queries.ACTIVE), CaseRow.feedback_due >= today, CaseRow.feedback_due <= end)
    text = (params.get("q") or "").strip()[:200]
    if text:
        cond = _search(s, text)
        if cond is not None:
            q = q.where(cond)
    return q.order_by(CaseRow.received_at.desc(), CaseRow.id.desc())


def _filters(request: Request) -> dict[str, str]:
    keys = ("org", "status", "kind", "unit", "flag", "due", "q")
    return {k: request.query_params.get(k, "")[:200] for k in keys}


def _units(state: WebState, actor: Actor) -> list[tuple[str, str]]:
    out = []
    for org in state.config.organizations:
        if actor.role != "admin" and org.id != actor.org_id:
            continue
        for u in org.units:
            if actor.role == "manager" and u.id not in actor.units:
                continue
            out.append((u.id, u.name if len(state.config.organizations) == 1 else f"{u.name} ({org.id})"))
    return out


def summaries(s: Session, case_ids: list[int]) -> dict[int, str]:
    """One de-identified line per case: the first message's subject, or its text where the subject is the web
    form's fixed one."""
    if not case_ids:
        return {}
    q = (select(MessageRow.case_id, MessageRow.text, MessageRow.subject)
         .where(MessageRow.case_id.in_(case_ids), MessageRow.direction == "in")
         .order_by(MessageRow.case_id, MessageRow.at, MessageRow.id))
    fixed = set(web_pipeline.SUBJECTS.values())
    out: dict[int, str] = {}
    for case_id, text, subject in s.execute(q):
        if case_id not in out:
            out[case_id] = one_line((text if subject in fixed else subject) or text or "", 100)
    return out


@signed_in
async def cases(request: Request, state: WebState, actor: Actor, session_id: str) -> Response:
    filters = _filters(request)
    with state.store.transaction(readonly=True) as reg:
        s = reg.session
        rows = list(s.execute(case_query(s, state, actor, filters).limit(PAGE_SIZE + 1)).scalars())
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        lines = summaries(s, [r.id for r in rows if r.id is not None])
    today = _today(state)
    names = {(o.id, u.id): u.name for o in state.config.organizations for u in o.units}
    items = [{"row": r, "summary": "" if access.restricted(r) else lines.get(r.id or 0, ""),
              "restricted": access.restricted(r), "unit": names.get((r.org_id, r.unit_id or ""), r.unit_id),
              "received": r.received_at.astimezone(state.config.org_timezone(state.config.org(r.org_id))),
              "overdue": r.status in queries.ACTIVE and r.feedback_due is not None and r.feedback_due < today}
             for r in rows]
    orgs = [o for o in state.config.organizations if o.id in access.orgs_of(actor, [x.id for x in state.config.organizations])]
    return _page(request, "staff_cases.html.j2", actor, session_id, items=items, more=more, filters=filters,
                 orgs=orgs, units=_units(state, actor), statuses=STATUSES, kinds=list(KINDS),
                 flags=FLAGS, flag_names=flag_labels(LANG), csv_link="/staff/cases.csv?" + urlencode(filters))


@signed_in
async def cases_csv(request: Request, state: WebState, actor: Actor, session_id: str) -> Response:
    filters = _filters(request)
    now = state.clock.now()
    with state.store.transaction() as reg:
        s = reg.session
        rows = list(s.execute(case_query(s, state, actor, filters)).scalars())
        log_access(s, actor, "download", None, now, what="cases.csv", count=len(rows),
                   filters={k: v for k, v in filters.items() if v and k != "q"}, search=bool(filters.get("q")))
    buf = io.StringIO(newline="")
    out = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    out.writerow(["ärende", "organisation", "typ", "status", "enhet", "markeringar", "kanal", "inkom",
                  "återkoppling senast", "återkoppling", "avslutat"])
    tz = texts_tz(state)
    for r in rows:
        out.writerow([r.ref, r.org_id, r.kind, r.status, r.unit_id or "", ",".join(r.flags or []), r.channel,
                      r.received_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                      r.feedback_due.isoformat() if r.feedback_due else "",
                      r.feedback_at.astimezone(tz).strftime("%Y-%m-%d") if r.feedback_at else "",
                      r.closed_at.astimezone(tz).strftime("%Y-%m-%d") if r.closed_at else ""])
    return Response(buf.getvalue().encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                    headers={**SECURITY_HEADERS, "Content-Disposition": 'attachment; filename="arenden.csv"'})


# -- one case -------------------------------------------------------------------------------


def _visible_case(s: Session, actor: Actor, ref: str) -> CaseRow | None:
    row = s.execute(select(CaseRow).where(CaseRow.ref == ref.strip().upper())).scalar_one_or_none()
    return row if row is not None and access.allowed(actor, "view", row) else None


def _not_found(request: Request, actor: Actor, session_id: str) -> Response:
    return _page(request, "staff_message.html.j2", actor, session_id, status=404, title=_("No such case"),
                 message=_("There is no case with that number that you may see."))


def _case_page(request: Request, state: WebState, actor: Actor, session_id: str, ref: str, *,
               identity: bool = False, notice: str = "", error: str = "", status: int = 200) -> Response:
    now = state.clock.now()
    with state.store.transaction() as reg:
        s = reg.session
        row = _visible_case(s, actor, ref)
        if row is None:
            return _not_found(request, actor, session_id)
        log_access(s, actor, "identity" if identity else "view", row.ref, now)
        messages = list(s.execute(select(MessageRow).where(MessageRow.case_id == row.id)
                                  .order_by(MessageRow.at, MessageRow.id)).scalars())
        events = list(s.execute(select(CaseEventRow).where(CaseEventRow.case_id == row.id)
                                .order_by(CaseEventRow.at, CaseEventRow.id)).scalars())
        person = s.get(PersonRow, row.person_id) if identity and row.person_id is not None else None
        has_address = bool(queries.person_email(s, row.person_id)) and "anonymous" not in (row.flags or [])
    org = state.config.org(row.org_id)
    tz = state.config.org_timezone(org)
    timeline: list[dict[str, Any]] = []
    for m in messages:
        timeline.append({"at": m.at.astimezone(tz), "type": "message", "m": m})
    for e in events:
        timeline.append({"at": e.at.astimezone(tz), "type": "event", "e": e})
    timeline.sort(key=lambda x: x["at"])
    return _page(request, "staff_case.html.j2", actor, session_id, status=status, case=row, org=org,
                 timeline=timeline, identity=identity, person=person,
                 may_identity=access.allowed(actor, "identity", row), may_change=access.allowed(actor, "change", row),
                 may_answer=access.allowed(actor, "answer", row) and has_address, has_address=has_address,
                 restricted=access.restricted(row), notice=notice, error=error, kinds=list(KINDS),
                 flag_names=flag_labels(LANG), received=row.received_at.astimezone(tz), tz=tz,
                 overdue=row.status in queries.ACTIVE and row.feedback_due is not None and row.feedback_due < _today(state),
                 feedback_ways=FEEDBACK_WAYS)


NOTICES: dict[str, Callable[[], str]] = {  # what the case page says after an action (translated when shown)
    "saved": lambda: _("The change is saved."),
    "answered": lambda: _("The answer is queued for sending; it counts as feedback."),
    "feedback": lambda: _("The feedback is recorded."),
}


@signed_in
async def case_page(request: Request, state: WebState, actor: Actor, session_id: str) -> Response:
    notice = NOTICES.get(request.query_params.get("done", ""))
    return _case_page(request, state, actor, session_id, request.path_params["ref"], notice=notice() if notice else "")


@signed_in
async def identity(request: Request, state: WebState, actor: Actor, session_id: str) -> Response:
    if await _form(request, session_id) is None:
        return _stale(request, actor, session_id)
    ref = request.path_params["ref"]
    with state.store.transaction(readonly=True) as reg:
        row = _visible_case(reg.session, actor, ref)
        may = row is not None and access.allowed(actor, "identity", row)
    if row is None:
        return _not_found(request, actor, session_id)
    if not may:
        return _page(request, "staff_message.html.j2", actor, session_id, status=403, title=_("Not allowed"),
                     message=_("Your role does not show the citizen's identity."))
    return _case_page(request, state, actor, session_id, ref, identity=True)


def _apply(state: WebState, actor: Actor, ref: str, action: str,
           make: Callable[[Any, pipeline.Context, Session], web_pipeline.Change]) -> str | None:
    """Apply a change to a case in one transaction (case row, events, outbox); an error text, or None."""
    now = state.clock.now()
    with state.store.transaction() as reg:
        s = reg.session
        row = _visible_case(s, actor, ref)
        if row is None or not access.allowed(actor, action, row):
            return "not found"
        org = state.config.org(row.org_id)
        info = reg.case_by_ref(org.id, row.ref)  # locked until the commit (PostgreSQL)
        assert info is not None
        ctx = pipeline.Context(state.config, org, state.clock, reg, state.service.templates,
                               state.service.calendars[org.id])
        try:
            change = make(info, ctx, s)
        except web_pipeline.ActionError as exc:
            return str(exc)
        values = case_changes(info, change.after)
        if values:
            s.execute(update(CaseRow).where(CaseRow.id == row.id).values(**values, updated_at=now))
        for ev in change.events:
            s.add(CaseEventRow(case_id=row.id, at=now, kind=ev.kind, actor=ev.actor, detail=dict(ev.detail)))
        if change.effects:
            queue_many(s, change.effects, org_id=org.id, case_id=row.id, now=now)
        log_access(s, actor, "change", row.ref, now, events=[e.kind for e in change.events])
    state.service.wake()
    return None


@signed_in
async def command(request: Request, state: WebState, actor: Actor, session_id: str) -> Response:
    fields = await _form(request, session_id)
    if fields is None:
        return _stale(request, actor, session_id)
    ref = request.path_params["ref"]
    verb = fields.get("do", "")
    arg = " ".join(fields.get("arg", "").split())
    if verb not in COMMANDS:
        return _case_page(request, state, actor, session_id, ref, error=_("Unknown action."), status=400)
    line = COMMANDS[verb].format(arg=arg).strip()

    def make(info: Any, ctx: pipeline.Context, s: Session) -> web_pipeline.Change:
        return web_pipeline.command(info, line, actor.email, ctx)

    error = _apply(state, actor, ref, "change", make)
    if error == "not found":
        return _not_found(request, actor, session_id)
    if error:
        return _case_page(request, state, actor, session_id, ref, error=error, status=400)
    return RedirectResponse(f"/staff/cases/{quote(ref)}?done=saved", status_code=303)


@signed_in
async def answer(request: Request, state: WebState, actor: Actor, session_id: str) -> Response:
    fields = await _form(request, session_id)
    if fields is None:
        return _stale(request, actor, session_id)
    ref = request.path_params["ref"]
    text = fields.get("text", "").replace("\r\n", "\n").strip()[:20000]
    if not text:
        return _case_page(request, state, actor, session_id, ref, error=_("Write the answer first."), status=400)
    sent: list[str] = []

    def make(info: Any, ctx: pipeline.Context, s: Session) -> web_pipeline.Change:
        row = s.execute(select(CaseRow).where(CaseRow.ref == info.ref)).scalar_one()
        citizen = queries.person_email(s, row.person_id)
        if not citizen or "anonymous" in info.flags:
            raise web_pipeline.ActionError(_("The case has no e-mail address to answer: give the feedback by "
                                             "phone or letter and record it below."))
        first_in, _forward = queries.first_message_ids(s, int(row.id or 0))
        lang = info.language if info.language in texts.LANGUAGES else "sv"
        gettext = texts.gettext_for(lang)
        subject = gettext("Answer to your message")
        body = state.pages.render("answer.txt.j2", lang, text=text, org=ctx.org, ref=info.ref)
        html = state.pages.render("answer.html.j2", lang, text=text, org=ctx.org, ref=info.ref)
        change = web_pipeline.answer(info, citizen=citizen, first_message_id=first_in, subject=subject, text=body,
                                     html=html, actor=actor.email, ctx=ctx)
        sent.extend(out.message_id for out in change.effects)
        return change

    error = _apply(state, actor, ref, "answer", make)
    if error == "not found":
        return _not_found(request, actor, session_id)
    if error:
        return _case_page(request, state, actor, session_id, ref, error=error, status=400)
    _record_answer_text(state, sent, text, ref)
    return RedirectResponse(f"/staff/cases/{quote(ref)}?done=answered", status_code=303)


def _record_answer_text(state: WebState, message_ids: list[str], text: str, ref: str) -> None:
    """The register keeps the answer's words de-identified, like every text in it."""
    with state.store.transaction() as reg:
        s = reg.session
        row = s.execute(select(CaseRow.person_id).where(CaseRow.ref == ref.upper())).first()
        person = s.get(PersonRow, row[0]) if row is not None and row[0] is not None else None
        names = name_parts(person.name) if isinstance(person, PersonRow) else ()
        clean = scrub(text, names)
        s.execute(update(MessageRow).where(MessageRow.message_id.in_(message_ids)).values(text=clean))


@signed_in
async def feedback(request: Request, state: WebState, actor: Actor, session_id: str) -> Response:
    fields = await _form(request, session_id)
    if fields is None:
        return _stale(request, actor, session_id)
    ref = request.path_params["ref"]
    how = fields.get("how", "")
    if how not in FEEDBACK_WAYS:
        return _case_page(request, state, actor, session_id, ref, error=_("Choose how the feedback was given."),
                          status=400)

    def make(info: Any, ctx: pipeline.Context, s: Session) -> web_pipeline.Change:
        return web_pipeline.feedback_given(info, how, actor.email, ctx)

    error = _apply(state, actor, ref, "answer", make)
    if error == "not found":
        return _not_found(request, actor, session_id)
    if error:
        return _case_page(request, state, actor, session_id, ref, error=error, status=400)
    return RedirectResponse(f"/staff/cases/{quote(ref)}?done=feedback", status_code=303)


# -- the access log (for the data protection officer) ------------------------------------------------


@signed_in
async def access_log(request: Request, state: WebState, actor: Actor, session_id: str) -> Response:
    if actor.role not in ("admin", "registrar"):
        return _page(request, "staff_message.html.j2", actor, session_id, status=403, title=_("Not allowed"),
                     message=_("The access log is for the registrar and the administrator."))
    ref = request.query_params.get("ref", "").strip().upper()[:32]
    with state.store.transaction(readonly=True) as reg:
        q = select(WebAccessRow).order_by(WebAccessRow.at.desc(), WebAccessRow.id.desc()).limit(500)
        if ref:
            q = q.where(WebAccessRow.case_ref == ref)
        if actor.role == "registrar":  # the registrar sees the log of its organization's cases
            own = select(CaseRow.ref).where(CaseRow.org_id == (actor.org_id or ""))
            q = q.where(WebAccessRow.case_ref.in_(own))
        rows = list(reg.session.execute(q).scalars())
    tz = texts_tz(state)
    return _page(request, "staff_access_log.html.j2", actor, session_id, rows=rows, ref=ref, tz=tz)

