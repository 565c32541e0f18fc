"""The web's templates (templates/web/): Jinja2 with autoescape and the i18n extension, one environment per language."""

from __future__ import annotations

import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from mailflow import i18n
from mailflow.labels import channel_label, flag_label, kind_label
from mailflow.web import texts

STATUS_NAMES = {
    "sv": {"open": "öppet", "awaiting_report": "väntar på redogörelse", "answered": "besvarat", "closed": "avslutat"},
    "en": {"open": "open", "awaiting_report": "awaiting report", "answered": "answered", "closed": "closed"},
}


def format_date(d: date | datetime | None, lang: str) -> str:
    """'tisdag 22 december 2026' (CLDR, as the mails write dates)."""
    return i18n.format_date(d, lang, i18n.longdate_format(lang))


def detail(value: Any) -> str:
    """An event's detail value as a reader wants it: lists joined, nothing as a dash."""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "–"
    if value is None or value == "":
        return "–"
    return str(value)


class Pages:
    """Renders the web's pages; an environment per language, made on first use."""

    def __init__(self, templates_dir: Path) -> None:
        self.directory = templates_dir
        self._envs: dict[str, jinja2.Environment] = {}
        self._lock = threading.Lock()

    def env(self, lang: str) -> jinja2.Environment:
        with self._lock:
            env = self._envs.get(lang)
            if env is None:
                options: dict[str, Any] = dict(
                    autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
                    undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
                # the project's environment per language: catalogs, dates, text direction
                env = i18n.make_environment(jinja2.FileSystemLoader(str(self.directory)), lang, **options)
                env.filters["date"] = lambda d: format_date(d, lang)
                env.filters["kind"] = lambda k: kind_label(k, lang)
                env.filters["channel"] = lambda c: channel_label(c, lang)
                env.filters["flag"] = lambda f: flag_label(f, lang)
                env.filters["status"] = lambda s: STATUS_NAMES.get(lang, STATUS_NAMES["sv"]).get(s, s)
                env.filters["detail"] = detail
                env.globals["languages"] = texts.NAMES
                self._envs[lang] = env
            return env

    def render(self, name: str, lang: str, **context: Any) -> str:
        ctx = dict(context, lang=lang, dir=texts.direction(lang))
        return self.env(lang).get_template(f"web/{name}").render(ctx)

    def page(self, request: Request, name: str, lang: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.render(name, lang, request=request, **context)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


# no scripts, no frames, no outside resources: the pages need none
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
