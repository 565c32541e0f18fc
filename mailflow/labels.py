"""Names of kinds, channels and flags in every language (from the gettext catalogs), for mails, the digest and reports."""

from __future__ import annotations

from mailflow import i18n


def _p(context: str, message: str) -> tuple[str, str]:
    """Marks a msgid with its context for Babel (`-k _p:1c,2`); translated when asked for."""
    return context, message


KINDS = ("complaint", "opinion", "praise")
CHANNELS = ("email", "phone", "visit", "letter", "meeting", "form", "web", "council_question_time")
FLAGS = ("lex_sarah", "about_employee", "anonymous", "external_provider", "other_district")

_KIND = {"complaint": _p("kind", "complaint"), "opinion": _p("kind", "suggestion"), "praise": _p("kind", "praise")}
_KIND_PLURAL = {"complaint": _p("kinds", "Complaints"), "opinion": _p("kinds", "Suggestions"),
                "praise": _p("kinds", "Praise")}
_CHANNEL = {"email": _p("channel", "e-mail"), "phone": _p("channel", "phone"), "visit": _p("channel", "visit"),
            "letter": _p("channel", "letter"), "meeting": _p("channel", "meeting"), "form": _p("channel", "form"),
            "web": _p("channel", "website"), "council_question_time": _p("channel", "question time")}
_FLAG = {"lex_sarah": _p("flag", "Lex Sarah"), "about_employee": _p("flag", "about an employee"),
         "anonymous": _p("flag", "anonymous"), "external_provider": _p("flag", "external provider"),
         "other_district": _p("flag", "other district")}


def _label(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    entry = table.get(str(key))
    if entry is None:
        return str(key)
    lang = lang if lang in i18n.available() else i18n.DEFAULT_LANGUAGE
    return i18n.translations(lang).pgettext(*entry)


def kind_label(kind: str, lang: str = "sv") -> str:
    """'klagomål', 'complaint', 'valitus'."""
    return _label(_KIND, kind, lang)


def kind_plural(kind: str, lang: str = "sv") -> str:
    """'Klagomål', 'Complaints', 'Valitukset' (a heading)."""
    return _label(_KIND_PLURAL, kind, lang)


def channel_label(channel: str, lang: str = "sv") -> str:
    return _label(_CHANNEL, channel, lang)


def flag_label(flag: str, lang: str = "sv") -> str:
    return _label(_FLAG, flag, lang)


def kind_labels(lang: str) -> dict[str, str]:
    return {k: kind_label(k, lang) for k in KINDS}


def kind_plurals(lang: str) -> dict[str, str]:
    return {k: kind_plural(k, lang) for k in KINDS}


def channel_labels(lang: str) -> dict[str, str]:
    return {c: channel_label(c, lang) for c in CHANNELS}


def flag_labels(lang: str) -> dict[str, str]:
    return {f: flag_label(f, lang) for f in FLAGS}
