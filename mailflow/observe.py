"""The seam between the service and operations: what the service tells, never waits on.

`mailflow.ops` implements `Reporter` (Prometheus metrics, /healthz); the service
calls it at a few points and knows nothing more of it. The default does nothing.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol


class Reporter(Protocol):
    def mailbox_up(self, org_id: str, role: str) -> None:
        """The mailbox was reached and logged in to."""

    def mailbox_down(self, org_id: str, role: str, error: str) -> None:
        """The mailbox could not be used (unreachable, login or token refused)."""

    def drained(self, org_id: str, role: str, outcomes: Counter[str], seconds: float, ok: bool) -> None:
        """One pass over a mailbox's folder: what became of its messages, how long it took, and whether
        it went to the end (not broken off by a lost connection)."""

    def sent(self, sent: int, failed: int, retried: int, outage: str | None) -> None:
        """One drain of the outbox."""

    def jobs(self, deadline_mails: int, digests: int) -> None:
        """One deadline and digest pass: the mails it queued."""

    def tick(self) -> None:
        """The service's loop came round (it is alive)."""


class NullReporter:
    def mailbox_up(self, org_id: str, role: str) -> None:
        pass

    def mailbox_down(self, org_id: str, role: str, error: str) -> None:
        pass

    def drained(self, org_id: str, role: str, outcomes: Counter[str], seconds: float, ok: bool) -> None:
        pass

    def sent(self, sent: int, failed: int, retried: int, outage: str | None) -> None:
        pass

    def jobs(self, deadline_mails: int, digests: int) -> None:
        pass

    def tick(self) -> None:
        pass
