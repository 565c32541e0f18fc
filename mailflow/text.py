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
from dataclasses import dataclass
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


def own_words(text: str, sender: str = "", sender_name: str = "") -> tuple[str, str]:
    """The writer's words: (with the signature, without it).

    The latest words come first. Forwarded or quoted blocks follow them only when
    they are the writer's own: a block whose From (or "... wrote:" line) names
    the sender's address or full name, or a forward that names nobody (a bare
    "Forwarded message" under a cover note). Replies of others (a manager's
    answer quoted below) stay out, with everything they quote. Falls back to
    the whole text when nothing is left.
    """
    if not text.strip():
        return "", ""
    blocks = forwarded_blocks(text)
    if not blocks:
        return _latest(text)
    cover_full, cover_body = _latest(text[: blocks[0].start]) if text[: blocks[0].start].strip() else ("", "")
    fulls, bodies = [cover_full], [cover_body]
    for block in blocks:
        if block.is_own(sender, sender_name):
            full, body = _latest(block.body)
            fulls.append(full)
            bodies.append(body)
    full = "\n\n".join(x for x in fulls if x)
    body = "\n\n".join(x for x in bodies if x)
    if not full:
        return text, text
    return full, body or full


def _latest(text: str) -> tuple[str, str]:
    """The newest words of a text as mail-parser-reply reads them (with, without signature)."""
    if not text.strip():
        return "", ""
    try:
        message = _ReplyMessage(text=text, languages=["sv", "en"], keep_hyphen_lists=True).read()
    except (re.error, RecursionError, IndexError):
        return text, text
    if not message.replies:
        return text, text
    latest = message.replies[0]
    full = _unquoted(_no_markers(latest.full_body))
    body = _unquoted(_no_markers(latest.body))
    if not full:
        return text, text
    return full, body or full


def _unquoted(text: str) -> str:
    """Without lines quoted from earlier mail ("> ...")."""
    return tidy("\n".join(line for line in text.split("\n") if not line.lstrip().startswith(">")))


# -- forwarded and quoted blocks -----------------------------------------------------------------------

# the line a mail program puts above a forwarded or quoted message
_MARKER = re.compile(
    r"^\s*[-_=*]*\s*(?:forwarded message|original message|begin forwarded message|vidarebefordrat meddelande|"
    r"ursprungligt meddelande|inledning av vidarebefordrat meddelande|vidarebefordrat brev|"
    r"välitetty viesti|alkuperäinen viesti|edelleenlähetetty viesti|edelleen lähetetty viesti)\s*:?\s*[-_=*]*\s*$",
    re.I,
)
_RULE = re.compile(r"^\s*_{10,}\s*$")  # Outlook's line above a reply's header block
_FROM = re.compile(r"^\s*\*?(?:från|from|lähettäjä|fra|von)\s*:\*?\s*(.*)$", re.I)
_HEAD = re.compile(
    r"^\s*\*?(?:skickat|sent|date|datum|lähetetty|päivämäärä|päiväys|till|to|ämne|subject|aihe|"
    r"vastaanottaja|kopia|cc|kopio)\s*:\*?", re.I,
)
# "Den tors 29 jan. 2026 kl 13:44 skrev Inga Lund <inga@example.com>:", "On Mon, ... X wrote:"
_WROTE_WORD = re.compile(r"\b(?:skrev|wrote|kirjoitti)\b", re.I)
MAX_SCAN = 200_000  # characters of a body searched for blocks (a forward chain is never longer)


def _no_markers(text: str) -> str:
    """Without forward marker lines and a trailing header block left by the reply parser."""
    lines = text.split("\n")
    cut = len(lines)
    for i, line in enumerate(lines):
        if _MARKER.match(line) or _RULE.match(line) or (_FROM.match(line) and "@" in line):
            cut = i
            break
    return "\n".join(lines[:cut])


@dataclass(frozen=True)
class Block:
    """A forwarded or quoted message inside a body: who it says wrote it, and its text."""

    start: int  # offset of its first line (marker, header or attribution) in the body
    marker: bool  # introduced as a forward ("Forwarded message", "Ursprungligt meddelande")
    author: str  # the From value or the attribution line ("" when the block names nobody)
    body: str

    def is_own(self, sender: str, sender_name: str) -> bool:
        """Whether the writer of the whole mail wrote this block."""
        who = self.author.lower()
        if not who:
            return self.marker  # a bare forward under a cover note: the writer's own earlier text
        if sender and sender.lower() in who:
            return True
        name = " ".join(sender_name.lower().replace('"', " ").split())
        return len(name.split()) >= 2 and name in " ".join(who.replace('"', " ").split())


def forwarded_blocks(text: str) -> list[Block]:
    """The forwarded and quoted messages of a body, in order (none when it has no header block)."""
    lines = text[:MAX_SCAN].split("\n")
    offsets, pos = [], 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    starts: list[tuple[int, int, bool, str]] = []  # (first line, first body line, marker, author)
    i = 0
    while i < len(lines):
        found = _block_at(lines, i)
        if found is None:
            i += 1
            continue
        body_from, marker, author = found
        starts.append((i, body_from, marker, author))
        i = max(body_from, i + 1)
    blocks = []
    for n, (first, body_from, marker, author) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        body_lines = lines[body_from:end]
        if body_lines and all(not x.strip() or x.lstrip().startswith(">") for x in body_lines):
            body_lines = [re.sub(r"^\s*> ?", "", x) for x in body_lines]  # a quoted reply: one level off
        blocks.append(Block(offsets[first], marker, author, tidy("\n".join(body_lines))))
    return blocks


def _block_at(lines: list[str], i: int) -> tuple[int, bool, str] | None:
    """A block starting at line i: (its first body line, whether a forward marker, its author)."""
    line = lines[i]
    marker = bool(_MARKER.match(line)) or bool(_RULE.match(line))
    j = i + 1 if marker else i
    while marker and j < len(lines) and not lines[j].strip() and j < i + 3:
        j += 1
    if j < len(lines) and (m := _FROM.match(lines[j])):
        heads = sum(1 for x in lines[j + 1 : j + 6] if _HEAD.match(x))
        if heads or marker:
            k = j + 1
            while k < len(lines) and k < j + 10 and (_HEAD.match(lines[k]) or (lines[k].strip() and
                                                                               _continues(lines[k]))):
                k += 1
            return k, marker, m.group(1).strip()
    if marker:
        if _RULE.match(line):
            return None  # a rule alone is only a line
        # headers without From (Gmail: Date, Subject, To), or none at all
        k = j
        while k < len(lines) and k < j + 8 and (_HEAD.match(lines[k]) or not lines[k].strip()):
            k += 1
        return k, True, ""
    # an attribution line: "On ... X <x@example.com> wrote:" (Gmail folds it onto two lines)
    for span in (1, 2):
        said = " ".join(lines[i : i + span])
        if i + span > len(lines) or len(said) > 400 or not said.rstrip().endswith(":"):
            continue
        if not _WROTE_WORD.search(said):
            continue
        after = [x for x in lines[i + span : i + span + 2] if x.strip()]
        if after and after[0].lstrip().startswith(">"):
            return i + span, False, said
    return None


def _continues(line: str) -> bool:
    """A header value folded onto the next line ("Till: A <a@x.se>;\n B <b@x.se>")."""
    return bool(re.match(r"^\s+\S", line)) or line.strip().endswith(">") and "@" in line and ":" not in line
