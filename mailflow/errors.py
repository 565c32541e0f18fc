"""The exception tree of mailflow.

* MailflowError
  + ConfigError          a config file is wrong: names file, key and reason
  + MailError            a message cannot be read (parse) or built
  + StoreError           the database refused or is out of date
    x DuplicateMessage   the message is already registered (safe to skip)
    x SchemaOutOfDate    migrations have not been applied
  + MailboxError         an IMAP server cannot be reached or refused a command
  + TokenError           no OAuth 2.0 access token could be had (the token endpoint refused or is away);
                         names the account, the tenant and the endpoint's reason, never a secret or token
  + DeliveryError        the SMTP server did not take a mail
    x TransientDelivery  try again later (4xx, connection trouble)
      x SmtpOutage       the server cannot be used at all (connect, greeting, EHLO, STARTTLS, AUTH):
                         no mail's fault; the outbox backs off and the registrar is told once
    x PermanentDelivery  give up (5xx, an address no server can take)
  + UnknownCase          no case with that reference

Adapters translate library errors into these (``raise MailboxError(...) from
exc``); only ``cli.py`` turns them into exit codes.
"""

from __future__ import annotations


class MailflowError(Exception):
    """Base of every error mailflow raises on purpose."""


class ConfigError(MailflowError):
    """A configuration file is invalid."""

    def __init__(self, file: str, key: str, reason: str) -> None:
        self.file = file
        self.key = key
        self.reason = reason
        super().__init__(f"{file}: {key}: {reason}" if key else f"{file}: {reason}")


class MailError(MailflowError):
    """A message cannot be parsed or built."""


class StoreError(MailflowError):
    """The database refused an operation."""


class DuplicateMessage(StoreError):
    """The message was registered before (by this or another worker)."""


class SchemaOutOfDate(StoreError):
    """The database schema is not at the newest migration."""


class MailboxError(MailflowError):
    """An IMAP mailbox cannot be reached or refused a command."""


class TokenError(MailflowError):
    """An OAuth 2.0 access token could not be had; the message names the account, tenant and reason."""

    def __init__(self, message: str, *, reason: str = "", permanent: bool = False) -> None:
        super().__init__(message)
        self.reason = reason  # what the token endpoint said (its error code and description)
        self.permanent = permanent  # the endpoint refused (a wrong secret, no consent), not just away


class DeliveryError(MailflowError):
    """The SMTP server did not accept a mail."""


class TransientDelivery(DeliveryError):
    """Delivery failed for now; the outbox tries again later."""


class SmtpOutage(TransientDelivery):
    """The SMTP server cannot be used at all right now; no mail is to blame."""


class PermanentDelivery(DeliveryError):
    """Delivery failed for good; the outbox stops trying."""

    def __init__(self, message: str, refused: list[dict[str, object]] | None = None) -> None:
        super().__init__(message)
        self.refused = refused or []


class UnknownCase(MailflowError):
    """No case has the given reference."""
