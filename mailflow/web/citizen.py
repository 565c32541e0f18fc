"""The citizens' pages: choose an organization, the form, the receipt, and a clear page for each refusal."""

from __future__ import annotations

import logging
import re
import secrets
from collections import defaultdict
from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mailflow import addresses
from mailflow.config import EMAIL_RE, Organization
from mailflow.pipeline.web import Submission, Upload
from mailflow.web import security, texts
from mailflow.web.state import WebState, client_ip, set_cookie
from mailflow.web.submit import known, submit

log = logging.getLogger(__name__)

ACCEPT = (".pdf", ".jpg", ".jpeg", ".png", ".gif", ".heic", ".heif", ".webp", ".txt", ".doc", ".docx", ".odt",
          ".rtf", ".xls", ".xlsx", ".ods")
_PHONE = re.compile(r"^[0-9 +()\-/.]{5,40}$")
_KEY = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def _org(state: WebState, request: Request) -> Organization | None:
    org_id = request.path_params.get("org", "")
    return next((o for o in state.config.organizations if o.id == org_id), None)


def _lang(request: Request, org: Organization | None, form_lang: str | None = None) -> str:
    default = org.language if org is not None else "sv"
    return texts.pick(form_lang or request.query_params.get("lang"), default)


def _t(lang: str) -> Any:
    return texts.gettext_for(lang)


def index(request: Request) -> Response:
    state: WebState = request.app.state.web
    orgs = list(state.config.organizations)
    lang = _lang(request, orgs[0] if len(orgs) == 1 else None)
    if len(orgs) == 1:
        return RedirectResponse(f"/{orgs[0].id}/?lang={lang}", status_code=303)
    return state.pages.page(request, "choose_org.html.j2", lang, orgs=orgs, site_name=_t(lang)("Feedback and complaints"),
                            switch_languages=True)


def _limits(state: WebState) -> dict[str, Any]:
    w = state.config.web
    return {"text": w.text_max_chars, "files": w.attachments_max, "mb": f"{w.attachments_max_mb:g}",
            "accept": ",".join(ACCEPT)}


def _form_page(request: Request, state: WebState, org: Organization, lang: str, *, status: int = 200,
               values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, key: str | None = None,
               had_files: bool = False) -> Response:
    browser = request.cookies.get(security.FORM_COOKIE) or security.new_token()
    key = key if key and _KEY.match(key) else secrets.token_urlsafe(24)
    now = state.clock.now()
    response = state.pages.page(
        request, "form.html.j2", lang, status=status, org=org, site_name=org.name, switch_languages=True,
        csrf=state.keys.form_token(org.id, key, browser, now), key=key,
        values={"text": "", "unit": "", "name": "", "email": "", "phone": "", "address": "", "anonymous": False,
                **(values or {})},
        errors=defaultdict(str, errors or {}), limits=_limits(state), had_files=had_files,
        retention_days=state.config.service.retention_days)
    if request.cookies.get(security.FORM_COOKIE) != browser:
        set_cookie(state, request, response, security.FORM_COOKIE, browser, path=f"/{org.id}/", samesite="strict")
    return response


def form(request: Request) -> Response:
    state: WebState = request.app.state.web
    org = _org(state, request)
    if org is None:
        return not_found(request)
    return _form_page(request, state, org, _lang(request, org))


def refused(request: Request, lang: str, status: int, title: str, message: str, org: Organization | None = None,
            back: str | None = None, back_label: str = "") -> Response:
    state: WebState = request.app.state.web
    return state.pages.page(request, "refused.html.j2", lang, status=status, title=title, message=message,
                            site_name=org.name if org else _t(lang)("Feedback and complaints"), back=back,
                            back_label=back_label, switch_languages=False)


def not_found(request: Request) -> Response:
    lang = texts.pick(request.query_params.get("lang"), "sv")
    _ = _t(lang)
    return refused(request, lang, 404, _("Page not found"), _("There is no page at this address."),
                   back="/", back_label=_("To the start page"))


async def send(request: Request) -> Response:
    state: WebState = request.app.state.web
    org = _org(state, request)
    if org is None:
        return not_found(request)
    lang = _lang(request, org)
    _ = _t(lang)
    again = f"/{org.id}/?lang={lang}"
    w = state.config.web
    length = request.headers.get("content-length", "")
    limit = int(w.attachments_max_mb * 1024 * 1024) + 4 * w.text_max_chars + 256 * 1024
    if not length.isdigit():
        return refused(request, lang, 411, _("The form could not be received"),
                       _("Your browser sent the form in a way we cannot receive. Try again, or use another browser."),
                       org, again, _("Back to the form"))
    if int(length) > limit:
        return refused(request, lang, 413, _("The files are too large"),
                       _("Together the files may be at most %(mb)s MB. Send smaller or fewer files, or send them "
                         "by e-mail after you got your case number.", mb=f"{w.attachments_max_mb:g}"),
                       org, again, _("Back to the form"))
    try:
        data = await request.form(max_files=w.attachments_max + 1, max_fields=40, max_part_size=4 * w.text_max_chars + 1024)
    except Exception as exc:  # noqa: BLE001  multipart's own errors: too many files or fields, a broken body
        log.info("event=web_form_unreadable error=%s", type(exc).__name__)
        return refused(request, lang, 400, _("The form could not be received"),
                       _("The form was incomplete or had too many files. Fill it in again."), org, again,
                       _("Back to the form"))
    try:
        return await _send(request, state, org, data)
    finally:
        await data.close()


def _text(data: Any, name: str, limit: int) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return value[: limit + 1]


async def _send(request: Request, state: WebState, org: Organization, data: Any) -> Response:
    lang = _lang(request, org, _text(data, "lang", 5) or None)
    _ = _t(lang)
    again = f"/{org.id}/?lang={lang}"
    w = state.config.web
    now = state.clock.now()
    key = _text(data, "key", 64)
    browser = request.cookies.get(security.FORM_COOKIE, "")
    if not _KEY.match(key) or not state.keys.form_token_ok(_text(data, "csrf", 100), org.id, key, browser, now,
                                                         timedelta(hours=w.form_valid_hours)):
        log.info("event=web_form_refused reason=csrf org=%s", org.id)
        return refused(request, lang, 403, _("The form has expired"),
                       _("The form was open too long, or it did not come from this site, or your browser does not "
                         "accept cookies. Nothing was sent. Open the form again and send it once more."),
                       org, again, _("Open the form again"))
    sent = await run_in_threadpool(known, state.service, key)
    if sent is not None:  # a double click or a reload: the case it made, once
        return state.pages.page(request, "receipt.html.j2", lang, org=org, site_name=org.name, receipt=sent,
                                switch_languages=False)
    if _text(data, "website", 200).strip():
        log.info("event=web_form_refused reason=honeypot org=%s", org.id)
        return refused(request, lang, 400, _("The form could not be sent"),
                       _("A field that should stay empty was filled in, so the form looks automatic. If you are a "
                         "person, open the form again and send it without autofill."), org, again,
                       _("Open the form again"))

    values: dict[str, Any] = {
        "text": _text(data, "text", w.text_max_chars), "unit": _text(data, "unit", 64),
        "name": _text(data, "name", 200), "email": _text(data, "email", 254).strip(),
        "phone": _text(data, "phone", 40).strip(), "address": _text(data, "address", 300),
        "anonymous": _text(data, "anonymous", 5) == "1",
    }
    errors: dict[str, str] = {}
    if not values["text"].strip():
        errors["text"] = _("Write what your message is about")
    elif len(values["text"]) > w.text_max_chars:
        errors["text"] = _("The text is too long: at most %(n)s characters", n=w.text_max_chars)
    if values["unit"] and org.unit(values["unit"]) is None:
        errors["unit"] = _("Choose an activity from the list")
    if len(values["name"]) > 200:
        errors["name"] = _("The name is too long")
    if values["email"] and (not EMAIL_RE.match(values["email"]) or addresses.problem(values["email"]) is not None
                            or values["email"].lower() in state.config.own_addresses()):
        errors["email"] = _("Enter an e-mail address in the right format, like name@example.com")
    if values["phone"] and not _PHONE.match(values["phone"]):
        errors["phone"] = _("Enter a phone number with digits only, like 08-123 456 78")
    if len(values["address"]) > 300:
        errors["address"] = _("The address is too long")
    files: list[Upload] = []
    uploads = [f for f in data.getlist("files") if isinstance(f, UploadFile) and (f.filename or f.size)]
    total = 0
    if len(uploads) > w.attachments_max:
        errors["files"] = _("Choose at most %(n)s files", n=w.attachments_max)
    else:
        for f in uploads:
            name = f.filename or "bilaga"
            if not name.lower().endswith(ACCEPT):
                errors["files"] = _("The file %(name)s is of a kind we do not accept: send pictures, PDF or "
                                    "documents", name=name[:80])
                break
            content = await f.read(int(w.attachments_max_mb * 1024 * 1024) + 1)
            total += len(content)
            if total > w.attachments_max_mb * 1024 * 1024:
                errors["files"] = _("Together the files may be at most %(mb)s MB", mb=f"{w.attachments_max_mb:g}")
                break
            files.append(Upload(name, f.content_type or "application/octet-stream", content))
    if errors:
        return _form_page(request, state, org, lang, status=400, values=values, errors=errors, key=key,
                          had_files=bool(uploads))

    ip = state.keys.pseudonym(client_ip(request))
    if await run_in_threadpool(security.count, state.store, "submit-ip", ip, timedelta(hours=1), now) \
            > w.submissions_per_ip_per_hour:
        log.info("event=web_form_refused reason=rate_ip org=%s", org.id)
        return refused(request, lang, 429, _("Too many messages"),
                       _("Many messages have come from your network in the last hour. Wait an hour and send it "
                         "again, or write to %(address)s.", address=org.complaints_address), org, again,
                       _("Back to the form"))
    if values["email"] and not values["anonymous"]:
        who = state.keys.pseudonym(values["email"])
        if await run_in_threadpool(security.count, state.store, "submit-address", who, timedelta(days=1), now) \
                > w.submissions_per_address_per_day:
            log.info("event=web_form_refused reason=rate_address org=%s", org.id)
            return refused(request, lang, 429, _("Too many messages"),
                           _("Many messages have come with this e-mail address today. Send it again tomorrow, or "
                             "write to %(address)s.", address=org.complaints_address), org, again,
                           _("Back to the form"))
    sub = Submission(org_id=org.id, key=key, language=lang, text=values["text"], unit_id=values["unit"] or None,
                     name=values["name"], email=values["email"], phone=values["phone"], address=values["address"],
                     anonymous=values["anonymous"], files=tuple(files))
    receipt = await run_in_threadpool(submit, state.service, sub, now)
    return state.pages.page(request, "receipt.html.j2", lang, org=org, site_name=org.name, receipt=receipt,
                            switch_languages=False)
