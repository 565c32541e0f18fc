"""The seam to the translations: gettext per language, text direction, the languages offered.

Message ids are English; the catalogs (mailflow/locale/<lang>/LC_MESSAGES/mailflow.po)
carry Swedish, English and Finnish. Until `mailflow.i18n` is there, the web's
own texts come from `texts.json` (Swedish and Finnish; English is the msgid).
"""

from __future__ import annotations

import gettext
import json
from pathlib import Path
from typing import Any

LANGUAGES = ("sv", "en", "fi")
NAMES = {"sv": "Svenska", "en": "English", "fi": "Suomi"}


class _Interim(gettext.NullTranslations):
    """The web's own texts in Swedish and Finnish (texts.json), until the project's catalogs carry them."""

    _table: dict[str, dict[str, str]] | None = None

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        if _Interim._table is None:
            _Interim._table = json.loads((Path(__file__).parent / "texts.json").read_text(encoding="utf-8"))

    def gettext(self, message: str) -> str:
        return (self._table or {}).get(message, {}).get(self.lang, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.gettext(msgid1 if n == 1 else msgid2)


def translations(lang: str) -> Any:
    """A gettext translations object for `lang` (gettext, ngettext, pgettext)."""
    try:
        from mailflow import i18n  # type: ignore[attr-defined]
    except ImportError:
        return _Interim(lang)
    return i18n.translations(lang)


def direction(lang: str) -> str:
    try:
        from mailflow import i18n  # type: ignore[attr-defined]
    except ImportError:
        return "ltr"
    return str(i18n.text_direction(lang))


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
