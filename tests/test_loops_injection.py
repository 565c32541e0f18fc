"""Mail loops and injection: autoresponders facing mailflow, and hostile text in every mail it writes.

Two autoresponders answer whatever mailflow sends them: one follows RFC 3834
(Auto-Submitted, In-Reply-To), one does not (no Auto-Submitted, a new address
for every answer, optionally without any reference at all). Passes run until
nothing more moves: the exchange stops after a handful of mails. Then a
subject, a display name and a body full of CR/LF, markup and template syntax
must come out as text in the acknowledgment, the forward and the digest.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import itertools
import threading
from collections import Counter
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mailflow.testing.dovecot import Dovecot, free_port
from mailflow.testing.smtpsink import Handler, SmtpSink
from tests import mails
from tests.conftest import World

pytestmark = pytest.mark.integration
TZ = ZoneInfo("Europe/Stockholm")
ARRIVAL = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


class Responders(Handler):
    """Delivers like the test listener, and answers mail to the autoresponders' addresses."""

    def __init__(self, dovecot: Dovecot, world: World, *, references: bool) -> None:
        super().__init__(dovecot, world.user)
        self.world = world
        self.references = references
        self.counter = itertools.count(1)
        self.answers: Counter[str] = Counter()
        self.guard = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        got = email.message_from_bytes(bytes(envelope.original_content or envelope.content), policy=email.policy.default)
        for rcpt in envelope.rcpt_tos:
            answer = self._answer(rcpt.lower(), got)
            if answer is not None:
                await asyncio.to_thread(self.world.deliver, mails.NORRMALM, answer)
        return reply

    def _answer(self, rcpt: str, got: EmailMessage) -> bytes | None:
        msg = EmailMessage()
        if rcpt == "polite@example.org":  # RFC 3834
            msg["From"] = rcpt
            msg["Subject"] = f"Automatic reply: {got['Subject']}"
            msg["Auto-Submitted"] = "auto-replied"
            msg["In-Reply-To"] = got["Message-ID"]
        elif rcpt.startswith("rude"):  # answers everything, from a new address each time
            with self.guard:
                n = next(self.counter)
            msg["From"] = f"rude{n}@example.net"
            msg["Subject"] = f"Re: {got['Subject']}" if self.references else "Tack för ditt mejl"
            if self.references:
                msg["In-Reply-To"] = got["Message-ID"]
        else:
            return None
        self.answers[rcpt] += 1
        msg["To"] = mails.NORRMALM
        msg["Message-ID"] = make_msgid(domain="responder.example")
        msg.set_content("Jag är tillbaka den 20 mars och läser din e-post då.\n")
        return msg.as_bytes()


async def converse(world: World, passes: int = 8) -> list[int]:
    sent_per_pass = []
    for _ in range(passes):
        report = await world.run_once(NOW)
        sent_per_pass.append(report.sent)
    return sent_per_pass


@pytest.mark.parametrize("references", [True, False], ids=["re-subject", "no-reference"])
async def test_autoresponders_facing_mailflow_make_no_loop(make_world, dovecot: Dovecot, references: bool) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    world: World = make_world({}, service={"smtp": {"port": port}, "ack_limit_same_text_per_day": 3})
    handler = Responders(dovecot, world, references=references)
    sink = SmtpSink(dovecot, port=port, handler=handler).start()
    try:
        world.deliver(mails.NORRMALM, mails.build(frm="Polite <polite@example.org>", subject="Hemtjänsten"), ARRIVAL)
        world.deliver(mails.NORRMALM, mails.build(frm="Rude <rude0@example.net>", subject="Parken"), ARRIVAL)
        sent = await converse(world)
        assert sent[-3:] == [0, 0, 0], sent  # it came to rest
        assert handler.answers["polite@example.org"] == 1  # one acknowledgment, one auto-reply, screened
        rude_acks = sum(n for rcpt, n in handler.answers.items() if rcpt.startswith("rude"))
        # with references the first answer to an acknowledgment ends it; without any, the
        # same-text limit does (ack_limit_same_text_per_day = 3 here)
        assert 1 <= rude_acks <= (1 if references else 4), handler.answers
        print("answers", dict(handler.answers), sent)
        acks = [email.message_from_bytes(r.data) for r in sink.received
                if email.message_from_bytes(r.data)["X-Mailflow-Purpose"] == "ack"]
        assert acks and all(m["Auto-Submitted"] == "auto-replied" for m in acks)
        others = [email.message_from_bytes(r.data) for r in sink.received
                  if email.message_from_bytes(r.data)["X-Mailflow-Purpose"] != "ack"]
        assert others and all(m["Auto-Submitted"] == "auto-generated" for m in others)
    finally:
        sink.stop()


HOSTILE_NAME = 'Eve <script>alert(1)</script> {{ 7*7 }}'
HOSTILE_SUBJECT = "=?utf-8?q?Klagom=C3=A5l_=0D=0ABcc:_victim@example.com_{{_7*7_}}_{%_for_x_in_range(3)_%}X{%_endfor_%}?="
HOSTILE_BODY = ("Hej!\n\nHemtjänsten kom inte. <script>alert('x')</script> <b>fet</b>\n"
                "{{ config }} {{ 7*7 }} {% for x in range(3) %}LOOP{% endfor %}\r\nBcc: victim@example.com\n")


async def test_hostile_text_ends_up_as_text_in_every_mail_and_the_digest(world: World) -> None:
    raw = mails.build(frm=f'"{HOSTILE_NAME}" <eve@example.com>', subject="x", body=HOSTILE_BODY)
    raw = raw.replace(b"Subject: x", b"Subject: " + HOSTILE_SUBJECT.encode(), 1)
    world.deliver(mails.NORRMALM, raw, ARRIVAL)
    report = await world.run_once(NOW)
    assert report.outcomes == {"registered": 1}
    out = [email.message_from_bytes(r.data, policy=email.policy.default) for r in world.sent()]
    rc, digest_text, err = world.cli("digest", "--org", "norrmalm", "--date", "2026-03-02")
    assert rc == 0, err
    rc, digest_html, err = world.cli("digest", "--org", "norrmalm", "--date", "2026-03-02", "--html")
    assert rc == 0, err
    for msg in out:
        assert all(r.rcpt_tos != ("victim@example.com",) for r in world.sent())
        assert msg.get("Bcc") is None and "victim" not in str(msg.get("To", "")) + str(msg.get("Cc", ""))
        assert "\n" not in str(msg["Subject"]) and "\r" not in str(msg["Subject"])
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert "49" not in text.replace("2026", "") or "{{ 7*7 }}" in text  # no template was evaluated
        assert "LOOPLOOPLOOP" not in text and "XXX" not in text
        assert "<script>" not in html  # markup from outside is escaped
    forward = next(m for m in out if m["X-Mailflow-Purpose"] == "forward")
    ftext = forward.get_body(("plain",)).get_content()
    assert "{{ 7*7 }}" in ftext and "{% for x in range(3) %}LOOP{% endfor %}" in ftext  # shown as written
    assert "&lt;script&gt;" in forward.get_body(("html",)).get_content()
    assert "LOOPLOOPLOOP" not in digest_text and "<script>" not in digest_html
