"""Languages: gettext catalogs, text direction, dates and Jinja2 environments, for the mails and the web pages.

One template tree; its texts are English msgids, translated in
`mailflow/locale/<lang>/LC_MESSAGES/mailflow.po` and compiled to `.mo` when the
package is built (`pip install`, the wheel; `scripts/i18n compile` in a work
tree). Nothing is compiled at run time. The API, kept small and stable:

    LANGUAGES                        the languages mailflow ships complete catalogs for: ("sv", "en", "fi")
    SOURCE_LANGUAGE                  "en": the language of the msgids
    DEFAULT_LANGUAGE                 "sv": used for a language nobody asked for
    LOCALE_DIR                       where the shipped catalogs live
    available(locale_dir=None)       the languages with a compiled catalog in `locale_dir`
    translations(lang, locale_dir=None) -> gettext.GNUTranslations (cached; ConfigError when not compiled)
    text_direction(lang)             "rtl" for Arabic, Hebrew, Persian ..., else "ltr" (from Babel's CLDR data)
    language_name(lang, in_lang)     "finska" for ("fi", "sv"), "Finnish" for ("fi", "en")
    format_date(d, lang, fmt="full") Babel's CLDR dates: "fredag 20 mars 2026", "perjantai 20. maaliskuuta 2026"
    longdate_format(lang)            the format of the `longdate` filter: "full", "long" for Finnish
    format_datetime(dt, lang, fmt="short")
    make_environment(loader, lang, *, locale_dir=None, **options) -> jinja2.Environment
                                     with `jinja2.ext.i18n` installed for `lang` (newstyle gettext:
                                     `{{ _("Case %(ref)s", ref=ref) }}`, `{% trans %}`, `{% pluralize %}`),
                                     the filters `longdate`, `shortdate`, `language_name`, and the
                                     globals `lang` and `dir`. Everything else in `options` goes to
                                     `jinja2.Environment` (autoescape, undefined, trim_blocks ...).

An environment belongs to one language: make one per language and keep it (the
web app and the mail renderer both do), never switch a shared one per request.
"""

from __future__ import annotations

import gettext
import threading
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import babel
import babel.dates
import jinja2

from mailflow.errors import ConfigError

DOMAIN = "mailflow"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES: tuple[str, ...] = ("sv", "en", "fi")
SOURCE_LANGUAGE = "en"
DEFAULT_LANGUAGE = "sv"
# the CLDR locale whose dates and names a language code uses (British English conventions in Sweden)
_CLDR = {"en": "en_GB"}
# the date format of `longdate` where "full" (with the weekday) reads wrongly in a sentence
_LONGDATE = {"fi": "long"}

_lock = threading.Lock()
_cache: dict[tuple[str, Path], gettext.GNUTranslations] = {}


def _dir(locale_dir: Path | str | None) -> Path:
    return Path(locale_dir) if locale_dir is not None else LOCALE_DIR


def _mo(lang: str, locale_dir: Path) -> Path:
    return locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def available(locale_dir: Path | str | None = None) -> tuple[str, ...]:
    """The languages that have a compiled catalog (shipped ones first, then others by name)."""
    root = _dir(locale_dir)
    found = sorted(p.parent.parent.name for p in root.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
    return tuple([x for x in LANGUAGES if x in found] + [x for x in found if x not in LANGUAGES])


def translations(lang: str, locale_dir: Path | str | None = None) -> gettext.GNUTranslations:
    """The compiled catalog of `lang`, read once; a missing one is a ConfigError naming the fix."""
    root = _dir(locale_dir)
    key = (lang, root)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        path = _mo(lang, root)
        try:
            with path.open("rb") as fh:
                catalog = gettext.GNUTranslations(fh)
        except FileNotFoundError:
            raise ConfigError(str(path), "languages", f"no compiled catalog for {lang!r}: the package is built "
                              "with its catalogs (pip install .), or run `scripts/i18n compile` in a work tree") from None
        except (OSError, ValueError) as exc:
            raise ConfigError(str(path), "languages", f"unreadable catalog for {lang!r}: {exc}") from None
        _cache[key] = catalog
        return catalog


@lru_cache(maxsize=64)
def _locale(lang: str) -> babel.Locale:
    """Babel's locale for a language (kept: every date in every mail asks for it)."""
    try:
        return babel.Locale.parse(_CLDR.get(lang, lang))
    except (ValueError, babel.UnknownLocaleError):
        return babel.Locale.parse(_CLDR.get(DEFAULT_LANGUAGE, DEFAULT_LANGUAGE))


def text_direction(lang: str) -> str:
    """'rtl' or 'ltr', for the HTML `dir` attribute."""
    return "rtl" if _locale(lang).character_order == "right-to-left" else "ltr"


def language_name(lang: str, in_lang: str) -> str:
    """The name of language `lang` written in `in_lang`, as CLDR spells it ('finska', 'Finnish')."""
    try:
        name = babel.Locale.parse(lang).get_display_name(_locale(in_lang))
    except (ValueError, babel.UnknownLocaleError):
        name = None
    return name or lang


def _as_date(d: date | datetime) -> date:
    return d.date() if isinstance(d, datetime) else d


def format_date(d: date | datetime | None, lang: str, fmt: str = "full") -> str:
    """A date in `lang`: fmt is 'full' (with the weekday), 'long', 'medium', 'short' or a CLDR pattern."""
    if d is None:
        return ""
    return babel.dates.format_date(_as_date(d), format=fmt, locale=_locale(lang))


def longdate_format(lang: str) -> str:
    """The format `longdate` uses: 'full' ('fredag 20 mars 2026'), 'long' for Finnish ('20. maaliskuuta 2026')."""
    return _LONGDATE.get(lang, "full")


def format_datetime(dt: datetime | None, lang: str, fmt: str = "short") -> str:
    """A moment in `lang` in its own time zone (pass a local datetime)."""
    if dt is None:
        return ""
    return babel.dates.format_datetime(dt, format=fmt, tzinfo=dt.tzinfo, locale=_locale(lang))


def shortdate(d: date | datetime | None) -> str:
    """ISO: '2026-03-02 09:00' for a moment, '2026-03-02' for a day (the same in every language)."""
    if d is None:
        return ""
    if isinstance(d, datetime):
        return d.strftime("%Y-%m-%d %H:%M")
    return d.isoformat()


def make_environment(
    loader: jinja2.BaseLoader,
    lang: str,
    *,
    locale_dir: Path | str | None = None,
    **options: Any,
) -> jinja2.Environment:
    """A Jinja2 environment for one language with gettext, plurals, dates and direction installed."""
    extensions = list(options.pop("extensions", ())) + ["jinja2.ext.i18n"]
    env = jinja2.Environment(loader=loader, extensions=extensions, **options)
    env.policies["ext.i18n.trimmed"] = True  # {% trans %} blocks read as one line, as Babel extracts them
    env.install_gettext_translations(translations(lang, locale_dir), newstyle=True)  # type: ignore[attr-defined]

    def longdate(d: date | datetime | None, fmt: str | None = None) -> str:
        return format_date(d, lang, fmt or longdate_format(lang))

    env.filters["longdate"] = longdate
    env.filters["shortdate"] = shortdate
    name_in: Callable[[str], str] = lambda code: language_name(code, lang)  # noqa: E731
    env.filters["language_name"] = name_in
    env.globals["lang"] = lang
    env.globals["dir"] = text_direction(lang)
    return env
