"""The web's languages: gettext per language from the project's catalogs (`mailflow.i18n`), offered choices.

Message ids are English; `mailflow/locale/<lang>/LC_MESSAGES/mailflow.po` carries
Swedish, English and Finnish (`scripts/i18n extract|update|compile`).
"""

from __future__ import annotations

from typing import Any

from mailflow import i18n

LANGUAGES = i18n.LANGUAGES
NAMES = {"sv": "Svenska", "en": "English", "fi": "Suomi"}


def translations(lang: str) -> Any:
    """A gettext translations object for `lang` (gettext, ngettext, pgettext)."""
    return i18n.translations(lang)


def direction(lang: str) -> str:
    return i18n.text_direction(lang)


def pick(lang: str | None, default: str) -> str:
    """A language we offer: the one asked for, else the default, else Swedish."""
    if lang in LANGUAGES:
        return str(lang)
    return default if default in LANGUAGES else i18n.DEFAULT_LANGUAGE


def gettext_for(lang: str) -> Any:
    """`_("Choose at most %(n)s files", n=3)`: translated, then filled in (as Jinja's newstyle gettext does)."""
    t = translations(lang)

    def _(message: str, **values: object) -> str:
        text = str(t.gettext(message))
        return text % values if values else text

    return _
