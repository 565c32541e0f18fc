"""The seam to the translations: gettext per language, text direction, the languages offered.

Message ids are English; the catalogs (mailflow/locale/<lang>/LC_MESSAGES/mailflow.po)
carry Swedish, English and Finnish. Until `mailflow.i18n` is there, the English
message ids are shown as they are.
"""

from __future__ import annotations

import gettext
from typing import Any

LANGUAGES = ("sv", "en", "fi")
NAMES = {"sv": "Svenska", "en": "English", "fi": "Suomi"}


def translations(lang: str) -> Any:
    """A gettext translations object for `lang` (gettext, ngettext, pgettext)."""
    try:
        from mailflow import i18n  # type: ignore[attr-defined]
    except ImportError:
        return gettext.NullTranslations()
    return i18n.translations(lang)


def direction(lang: str) -> str:
    try:
        from mailflow import i18n  # type: ignore[attr-defined]
    except ImportError:
        return "ltr"
    return str(i18n.direction(lang))


def pick(lang: str | None, default: str) -> str:
    """A language we offer: the one asked for, else the default, else Swedish."""
    if lang in LANGUAGES:
        return str(lang)
    return default if default in LANGUAGES else "sv"


def gettext_for(lang: str) -> Any:
    """`_("Choose at most %(n)s files", n=3)`: translated, then filled in (as Jinja's newstyle gettext does)."""
    t = translations(lang)

    def _(message: str, **values: object) -> str:
        text = str(t.gettext(message))
        return text % values if values else text

    return _
