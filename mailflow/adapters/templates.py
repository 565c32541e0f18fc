"""Jinja2 over templates/: each mail is NAME.subject.j2, NAME.txt.j2 and NAME.html.j2 per language."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import jinja2

from mailflow.errors import ConfigError

LANGUAGES = ("sv", "en")
MAILS = ("ack", "forward", "citizen_reply", "staff_reply", "reminder", "escalation", "delay_notice",
         "report_reminder", "digest", "outage")

_MONTHS = {
    "sv": ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
           "september", "oktober", "november", "december"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
}
_DAYS = {
    "sv": ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}


def longdate(d: date | datetime | None, lang: str = "sv") -> str:
    """'måndag 7 december 2026' / 'Monday 7 December 2026'."""
    if d is None:
        return ""
    if isinstance(d, datetime):
        d = d.date()
    lang = lang if lang in _MONTHS else "sv"
    return f"{_DAYS[lang][d.weekday()]} {d.day} {_MONTHS[lang][d.month - 1]} {d.year}"


def shortdate(d: date | datetime | None) -> str:
    if d is None:
        return ""
    if isinstance(d, datetime):
        return d.strftime("%Y-%m-%d %H:%M")
    return d.isoformat()


class Templates:
    """Renders the mails; StrictUndefined makes a missing value an error, not a blank."""

    def __init__(self, directory: Path) -> None:
        if not directory.is_dir():
            raise ConfigError(str(directory), "service.templates_dir", "templates directory not found")
        self.directory = directory
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(directory)),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.filters["longdate"] = longdate
        self.env.filters["shortdate"] = shortdate

    def render(self, name: str, language: str, **context: object) -> tuple[str, str, str]:
        lang = language if language in LANGUAGES else "sv"
        ctx = dict(context, lang=lang)
        try:
            subject = self.env.get_template(f"{lang}/{name}.subject.j2").render(ctx)
            text = self.env.get_template(f"{lang}/{name}.txt.j2").render(ctx)
            html = self.env.get_template(f"{lang}/{name}.html.j2").render(ctx)
        except jinja2.TemplateNotFound as exc:
            raise ConfigError(str(self.directory), f"{lang}/{name}", f"template missing: {exc.name}") from None
        except jinja2.TemplateError as exc:
            raise ConfigError(str(self.directory), f"{lang}/{name}", f"template error: {exc}") from None
        return " ".join(subject.split()), text.strip() + "\n", html
