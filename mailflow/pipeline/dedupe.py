"""dedupe: a Message-ID (or content hash) the register already holds stops here."""

from __future__ import annotations

from mailflow.model import Mail, Outcome
from mailflow.pipeline import Context, Stop


class Dedupe:
    name = "dedupe"

    def run(self, mail: Mail, ctx: Context) -> Mail:
        # The unique index on (org, Message-ID) is the real guard against a
        # concurrent worker; this is the cheap early exit.
        if ctx.lookup.message_exists(mail.source.org_id, mail.message_id):
            raise Stop(Outcome.DUPLICATE, "Message-ID already registered")
        return mail
