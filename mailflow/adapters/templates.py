"""Jinja2 over templates/: each mail is NAME.subject.j2, NAME.txt.j2 and NAME.html.j2, once, in every language.

The texts are English msgids translated by the gettext catalogs (`mailflow.i18n`);
one environment per language, made on first use. The HTML part is written with
a `<style>` block and comes out with inline CSS only (css-inline), as Outlook and
webmail clients need.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from pathlib import Path

import css_inline
import jinja2

from mailflow import i18n
from mailflow.errors import ConfigError

LANGUAGES = i18n.LANGUAGES
MAILS = ("ack", "forward", "answer", "citizen_reply", "staff_reply", "reminder", "escalation", "delay_notice",
         "report_reminder", "digest", "outage")
# the mails a citizen reads, in the citizen's language; all others go to staff in the organization's language
CITIZEN_MAILS = ("ack", "delay_notice", "answer")

_INLINER = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def longdate(d: date | datetime | None, lang: str = "sv") -> str:
    """'fredag 20 mars 2026' / 'Friday, 20 March 2026' / '20. maaliskuuta 2026' (Babel, CLDR)."""
    return i18n.format_date(d, lang, i18n.longdate_format(lang))


shortdate = i18n.shortdate


class Templates:
    """Renders the mails; StrictUndefined makes a missing value an error, not a blank."""

    def __init__(self, directory: Path, locale_dir: Path | None = None) -> None:
        if not directory.is_dir():
            raise ConfigError(str(directory), "service.templates_dir", "templates directory not found")
        self.directory = directory
        self.locale_dir = locale_dir
        self.languages = i18n.available(locale_dir)
        self._envs: dict[str, jinja2.Environment] = {}
        self._lock = threading.Lock()

    def env(self, lang: str) -> jinja2.Environment:
        """The environment of one language, made once."""
        with self._lock:
            env = self._envs.get(lang)
            if env is None:
                env = i18n.make_environment(
                    jinja2.FileSystemLoader(str(self.directory)),
                    lang,
                    locale_dir=self.locale_dir,
                    auto_reload=False,  # read once: a changed template takes a restart, not a stat per mail
                    undefined=jinja2.StrictUndefined,
                    autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
                    trim_blocks=True,
                    lstrip_blocks=True,
                    keep_trailing_newline=False,
                )
                self._envs[lang] = env
            return env

    def language(self, language: str) -> str:
        """`language` if it has a catalog, else the default."""
        return language if language in self.languages else i18n.DEFAULT_LANGUAGE

    def render(self, name: str, language: str, **context: object) -> tuple[str, str, str]:
        lang = self.language(language)
        env = self.env(lang)
        try:
            subject = env.get_template(f"{name}.subject.j2").render(context)
            text = env.get_template(f"{name}.txt.j2").render(context)
            html = env.get_template(f"{name}.html.j2").render(context)
        except jinja2.TemplateNotFound as exc:
            raise ConfigError(str(self.directory), name, f"template missing: {exc.name}") from None
        except jinja2.TemplateError as exc:
            raise ConfigError(str(self.directory), f"{name} ({lang})", f"template error: {exc}") from None
        if "<style" not in html:  # written with inline styles already (the digest)
            return " ".join(subject.split()), text.strip() + "\n", html
        try:
            html = _INLINER.inline(html)
        except ValueError as exc:  # css_inline.InlineError
            raise ConfigError(str(self.directory), f"{name}.html.j2 ({lang})", f"CSS cannot be inlined: {exc}") from None
        return " ".join(subject.split()), text.strip() + "\n", html
