"""Names of kinds, channels and flags in Swedish and English, for mails, the digest and reports."""

from __future__ import annotations

KIND_LABELS: dict[str, dict[str, str]] = {
    "sv": {"complaint": "klagomål", "opinion": "synpunkt", "praise": "beröm"},
    "en": {"complaint": "complaint", "opinion": "suggestion", "praise": "praise"},
}
KIND_PLURALS: dict[str, dict[str, str]] = {
    "sv": {"complaint": "Klagomål", "opinion": "Synpunkter", "praise": "Beröm"},
    "en": {"complaint": "Complaints", "opinion": "Suggestions", "praise": "Praise"},
}
CHANNEL_LABELS: dict[str, dict[str, str]] = {
    "sv": {"email": "e-post", "phone": "telefon", "visit": "besök", "letter": "brev",
           "meeting": "möte", "form": "blankett", "web": "webbplats",
           "council_question_time": "frågestund"},
    "en": {"email": "e-mail", "phone": "phone", "visit": "visit", "letter": "letter",
           "meeting": "meeting", "form": "form", "web": "website",
           "council_question_time": "question time"},
}
FLAG_LABELS: dict[str, dict[str, str]] = {
    "sv": {"lex_sarah": "Lex Sarah", "about_employee": "gäller enskild medarbetare",
           "anonymous": "anonym", "external_provider": "extern utförare",
           "other_district": "annan stadsdel"},
    "en": {"lex_sarah": "Lex Sarah", "about_employee": "about an employee",
           "anonymous": "anonymous", "external_provider": "external provider",
           "other_district": "other district"},
}


def _lang(lang: str) -> str:
    return lang if lang in KIND_LABELS else "sv"


def kind_label(kind: str, lang: str = "sv") -> str:
    return KIND_LABELS[_lang(lang)].get(str(kind), str(kind))


def channel_label(channel: str, lang: str = "sv") -> str:
    return CHANNEL_LABELS[_lang(lang)].get(channel, channel)


def flag_label(flag: str, lang: str = "sv") -> str:
    return FLAG_LABELS[_lang(lang)].get(flag, flag)
