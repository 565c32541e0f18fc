"""Realistic test messages, built as the mail clients citizens use would build them."""

from __future__ import annotations

import email.policy
import uuid
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime

NORRMALM = "synpunkter.norrmalm@stockholm.example.se"
NORRMALM_REGISTRAR = "registrator.norrmalm@stockholm.example.se"
NACKA = "synpunkter.valfard@nacka.example.se"
NACKA_REGISTRAR = "registrator.valfard@nacka.example.se"


def mid() -> str:
    return f"{uuid.uuid4().hex}@mail.example.com"


def build(
    *,
    to: str = NORRMALM,
    frm: str = "Åsa Öberg <asa.oberg@example.com>",
    subject: str = "Klagomål på hemtjänsten",
    body: str = "Hej!\n\nHemtjänsten kom inte i tisdags och min mamma fick vänta hela dagen.\n"
                "Det är inte acceptabelt.\n\nMed vänliga hälsningar\nÅsa Öberg\n",
    html: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    cc: str | None = None,
    date: datetime | None = None,
    headers: dict[str, str] | None = None,
    attachment: tuple[str, str, bytes] | None = None,
    charset: str = "utf-8",
) -> bytes:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = frm
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc))
    msg["Message-ID"] = f"<{message_id or mid()}>"
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        msg["References"] = " ".join(f"<{r}>" for r in references)
    for k, v in (headers or {}).items():
        msg[k] = v
    if html is not None and body == "":
        msg.set_content(html, subtype="html", charset=charset)
    else:
        msg.set_content(body, charset=charset)
        if html is not None:
            msg.add_alternative(html, subtype="html", charset=charset)
    if attachment:
        name, ctype, data = attachment
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def latin1_complaint(message_id: str, to: str = NORRMALM) -> bytes:
    """Outlook-style ISO-8859-1: åäö in an encoded-word subject and an 8-bit body."""
    return (
        "From: =?ISO-8859-1?Q?G=F6ran_L=F6vgren?= <goran.lovgren@example.net>\r\n"
        f"To: {to}\r\n"
        "Subject: =?ISO-8859-1?Q?Klagom=E5l_p=E5_lekplatsen_i_Vasaparken_-_gungorna_=E4r_tras?=\r\n"
        " =?ISO-8859-1?Q?iga?=\r\n"
        "Date: Mon, 02 Mar 2026 10:15:00 +0100\r\n"
        f"Message-ID: <{message_id}>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=ISO-8859-1\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Hej,\r\n\r\n"
        "Gungorna p\xe5 lekplatsen i Vasaparken har varit trasiga i tre veckor. Barnen blir besvikna\r\n"
        "varje g\xe5ng. N\xe4r ska de lagas? Det \xe4r d\xe5ligt sk\xf6tt.\r\n\r\n"
        "H\xe4lsningar\r\nG\xf6ran L\xf6vgren\r\n"
    ).encode("latin-1")


def html_only_complaint(message_id: str, to: str = NACKA) -> bytes:
    return build(
        to=to,
        frm="Märta Sjögren <marta.sjogren@kund.example.se>",
        subject="Synpunkt om maten på Sofiero",
        body="",
        html=(
            "<!DOCTYPE html><html><head><style>p{color:red}</style></head><body>"
            "<p>Hej!</p><p>Min pappa bor på <b>Nacka seniorcenter Sofiero</b>. Maten serveras kall "
            "nästan varje kväll och ingen verkar bry sig.</p><p>Det är <i>inte okej</i>.</p>"
            "<p>Med vänlig hälsning<br>Märta Sjögren</p></body></html>"
        ),
        message_id=message_id,
    )


def autoreply(message_id: str, in_reply_to: str | None = None, to: str = NORRMALM) -> bytes:
    return build(
        to=to,
        frm="Björn Ek <bjorn.ek@example.com>",
        subject="Automatiskt svar: Tack för ditt klagomål",
        body="Jag är på semester till och med 15 mars och läser inte min e-post.\n",
        message_id=message_id,
        in_reply_to=in_reply_to,
        headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
    )


# what a broken client or a truncated transfer leaves: bytes with no header section
UNPARSEABLE = b"\xff\xfe\xfd\x89PNG binary garbage with no header section at all \x9c\x9d\r\n\r\n\xff"
