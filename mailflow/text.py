"""Text helpers: HTML to plain text, the writer's own words, whitespace, summaries.

HTML is turned into text with the standard library's HTMLParser: mail HTML
needs only paragraphs, line breaks, lists and tables kept apart, quotes marked
and scripts, styles and heads dropped; a dependency would add nothing for that.
Quoted earlier mail, forwarded headers and signatures are told apart by
mail-parser-reply, which knows Swedish and English reply headers ("Den mån 2
mars 2026 kl 10:12 skrev …:", Outlook's "Från: / Skickat: / Till: / Ämne:").
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from mailparser_reply.parser import EmailMessage as _ReplyMessage

_QUOTE_IN, _QUOTE_OUT = "\x00Q+", "\x00Q-"

_BLOCK = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "address", "dd", "dt",
}
_SKIP = {"script", "style", "head", "title", "template", "noscript"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "blockquote":
            self.out.append(f"\n{_QUOTE_IN}\n")
        elif tag in _BLOCK:
            self.out.append("\n")
            if tag == "li":
                self.out.append("- ")
        elif tag in ("td", "th"):
            self.out.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.out.append(f"\n{_QUOTE_OUT}\n")
        elif tag in _BLOCK:
            self.out.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Readable plain text from mail HTML."""
    parser = _Text()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # malformed markup: keep what was read
        pass
    lines, depth = [], 0
    for line in "".join(parser.out).split("\n"):
        if line == _QUOTE_IN:
            depth += 1
        elif line == _QUOTE_OUT:
            depth = max(0, depth - 1)
        else:
            lines.append(("> " * depth + line.strip()) if depth and line.strip() else line)
    return tidy("\n".join(lines))


def tidy(text: str) -> str:
    """Normalise line ends, strip trailing blanks, squeeze blank runs to one."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        line = line.strip() if not line.startswith(">") else line
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip()


def summary(text: str, width: int = 80) -> str:
    """The first words of a text on one line."""
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1].rstrip() + "…"


def own_words(text: str) -> tuple[str, str]:
    """The writer's latest words: (with the signature, without it).

    Quoted earlier mail and forwarded headers are cut; what remains is what
    this writer wrote now. Falls back to the whole text when nothing is left.
    """
    if not text.strip():
        return "", ""
    try:
        message = _ReplyMessage(text=text, languages=["sv", "en"], keep_hyphen_lists=True).read()
    except (re.error, RecursionError, IndexError):
        return text, text
    if not message.replies:
        return text, text
    latest = message.replies[0]
    full = _unquoted(latest.full_body)
    body = _unquoted(latest.body)
    if not full:
        return text, text
    return full, body or full


def _unquoted(text: str) -> str:
    """Without lines quoted from earlier mail ("> ...")."""
    return tidy("\n".join(line for line in text.split("\n") if not line.lstrip().startswith(">")))
