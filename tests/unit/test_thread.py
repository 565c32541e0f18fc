"""thread: headers first, then the [REF] tag from the case's own people; strangers learn nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from mailflow import config as config_mod
from mailflow.clock import FixedClock
from mailflow.config import Config
from mailflow.deadlines import WorkCalendar
from mailflow.model import (
    CaseInfo,
    Kind,
    Mail,
    MailboxRole,
    Outcome,
    Parsed,
    Purpose,
    Role,
    Source,
    Status,
    email_key,
)
from mailflow.pipeline import Context, Stop
from mailflow.pipeline.parse import parse_bytes
from mailflow.pipeline.staff import Staff
from mailflow.pipeline.thread import Thread, sender_role

ROOT = Path(__file__).resolve().parent.parent.parent
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)
CITIZEN = "anna.svensson@example.com"
STRANGER = "mallory@example.net"


@pytest.fixture(scope="module")
def cfg() -> Config:
    return config_mod.load(ROOT / "config" / "mailflow.toml", env={})


@dataclass
class FakeLookup:
    """The register as dicts: Message-ID -> case and ref -> case, per organization."""

    by_message_id: dict[tuple[str, str], CaseInfo] = field(default_factory=dict)
    by_ref: dict[tuple[str, str], CaseInfo] = field(default_factory=dict)
    ref_queries: list[str] = field(default_factory=list)
    id_queries: list[tuple[str, ...]] = field(default_factory=list)

    def add(self, case: CaseInfo, *message_ids: str) -> None:
        self.by_ref[(case.org_id, case.ref)] = case
        for mid in message_ids:
            self.by_message_id[(case.org_id, mid)] = case

    def message_exists(self, org_id: str, message_id: str) -> bool:
        return (org_id, message_id) in self.by_message_id

    def case_by_message_ids(self, org_id: str, message_ids: tuple[str, ...]) -> CaseInfo | None:
        self.id_queries.append(message_ids)
        for mid in message_ids:
            if (org_id, mid) in self.by_message_id:
                return self.by_message_id[(org_id, mid)]
        return None

    def case_by_ref(self, org_id: str, ref: str) -> CaseInfo | None:
        self.ref_queries.append(ref)
        return self.by_ref.get((org_id, ref))

    def allocate_ref(self, org_id: str, prefix: str, year: int) -> tuple[str, int]:
        raise AssertionError("thread never allocates a case number")

    def same_text_since(self, org_id: str, fingerprint: str, since: datetime) -> int:
        return 0

    def sent_subjects(self, org_id: str, ref: str) -> tuple[str, ...]:
        return ()

    def acks_since(self, email_key: str, since: datetime) -> int:
        raise AssertionError("thread never counts acknowledgments")

    def open_cases_for(self, org_id: str, person_keys: tuple[str, ...], handler: str) -> list[CaseInfo]:
        return []  # no open case is routed to the sender

    def original_message(self, org_id: str, ref: str) -> bytes | None:
        raise AssertionError("thread never reads an original")


class NoRender:
    def render(self, name: str, language: str, **context: object) -> tuple[str, str, str]:
        raise AssertionError("thread renders no mail")


def case(ref: str, org_id: str = "norrmalm", person: str | None = CITIZEN) -> CaseInfo:
    return CaseInfo(
        ref=ref,
        org_id=org_id,
        status=Status.OPEN,
        kind=Kind.COMPLAINT,
        flags=("about_employee",),
        language="sv",
        unit_id="hemtjanst",
        manager="enhetschef.hemtjanst.norrmalm@stockholm.example.se",
        person_email_key=email_key(person),
        received_at=datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc),
        feedback_due=date(2026, 3, 20),
    )


def ctx(cfg: Config, lookup: FakeLookup, org_id: str = "norrmalm") -> Context:
    return Context(
        config=cfg,
        org=cfg.org(org_id),
        clock=FixedClock(NOW),
        lookup=lookup,
        render=NoRender(),
        calendar=WorkCalendar(),
    )


def mail(
    sender: str | None,
    subject: str,
    *,
    in_reply_to: str | None = None,
    references: str | None = None,
    org_id: str = "norrmalm",
    body: str = "Hej, jag skriver igen om mitt ärende.",
) -> Mail:
    lines = []
    if sender is not None:
        lines.append(f"From: {sender}")
    lines += [
        f"To: synpunkter.{org_id}@stockholm.example.se",
        f"Subject: {subject}",
        "Message-ID: <new-1@mail.example.com>",
        "Date: Tue, 10 Mar 2026 09:00:00 +0100",
    ]
    if in_reply_to:
        lines.append(f"In-Reply-To: {in_reply_to}")
    if references:
        lines.append(f"References: {references}")
    lines += ["Content-Type: text/plain; charset=utf-8", "", body, ""]
    raw = "\r\n".join(lines).encode("utf-8")
    parsed = parse_bytes(raw)
    assert isinstance(parsed, Parsed), parsed
    source = Source(org_id, MailboxRole.COMPLAINTS, "INBOX", 1, 7, NOW)
    return Mail(source=source, raw=raw, parsed=parsed)


# -- by headers -----------------------------------------------------------------------


def test_reply_to_stored_message_threads_into_its_case(cfg: Config) -> None:
    lookup = FakeLookup()
    known = case("NM-2026-0007")
    lookup.add(known, "ack-nm-2026-0007@mailflow.example.se")
    out = Thread().run(
        mail(CITIZEN, "Re: Tack för din synpunkt", in_reply_to="<ack-nm-2026-0007@mailflow.example.se>"),
        ctx(cfg, lookup),
    )
    assert out.case == known
    assert out.purpose is Purpose.REPLY
    assert out.role is Role.CITIZEN
    assert out.triage is None


def test_references_alone_thread_into_the_case(cfg: Config) -> None:
    lookup = FakeLookup()
    known = case("NM-2026-0007")
    lookup.add(known, "orig-1@example.com")
    out = Thread().run(
        mail(CITIZEN, "Re: hemtjänsten", references="<unknown-9@example.org> <orig-1@example.com>"),
        ctx(cfg, lookup),
    )
    assert out.case == known
    assert out.purpose is Purpose.REPLY
    assert ("unknown-9@example.org", "orig-1@example.com") in lookup.id_queries


def test_header_threading_does_not_depend_on_who_writes(cfg: Config) -> None:
    # headers name a message mailflow holds, so a forwarded reply from another address belongs too
    lookup = FakeLookup()
    known = case("NM-2026-0007")
    lookup.add(known, "fwd-1@mailflow.example.se")
    out = Thread().run(
        mail("dottern@example.org", "Re: ärendet", in_reply_to="<fwd-1@mailflow.example.se>"),
        ctx(cfg, lookup),
    )
    assert out.case == known


def test_message_ids_of_another_organization_do_not_thread(cfg: Config) -> None:
    lookup = FakeLookup()
    lookup.add(case("NK-2026-0003", org_id="nacka"), "nk-ack@mailflow.example.se")
    out = Thread().run(
        mail(CITIZEN, "Re: något", in_reply_to="<nk-ack@mailflow.example.se>"), ctx(cfg, lookup)
    )
    assert out.case is None
    assert out.purpose is Purpose.COMPLAINT


# -- by case tag ----------------------------------------------------------------------


def test_case_tag_from_the_case_citizen_threads(cfg: Config) -> None:
    lookup = FakeLookup()
    known = case("NM-2026-0007")
    lookup.add(known)
    out = Thread().run(mail("Anna Svensson <Anna.Svensson@Example.com>", "Sv: [NM-2026-0007] Hemtjänsten"), ctx(cfg, lookup))
    assert out.case == known
    assert out.purpose is Purpose.REPLY
    assert out.role is Role.CITIZEN
    assert out.triage is None


def test_case_tag_is_used_when_the_headers_match_nothing(cfg: Config) -> None:
    lookup = FakeLookup()
    known = case("NM-2026-0007")
    lookup.add(known)
    out = Thread().run(
        mail(CITIZEN, "Re: [NM-2026-0007] Hemtjänsten", in_reply_to="<lost@example.com>"), ctx(cfg, lookup)
    )
    assert out.case == known


def test_case_tag_from_a_stranger_opens_a_new_case_flagged_for_triage(cfg: Config) -> None:
    lookup = FakeLookup()
    other = case("NM-2026-0007")
    lookup.add(other)
    out = Thread().run(mail(STRANGER, "[NM-2026-0007] vad händer?"), ctx(cfg, lookup))
    assert out.case is None
    assert out.role is Role.CITIZEN
    assert out.purpose is Purpose.COMPLAINT
    assert out.triage is not None
    assert "NM-2026-0007" in out.triage
    # nothing else about the other case reaches the new one
    for secret in (other.unit_id, other.manager, other.kind.value, "about_employee", other.status.value):
        assert secret and secret not in out.triage
    assert out.triage == "quotes case number NM-2026-0007 of another sender"


def test_case_tag_of_an_anonymous_case_does_not_let_anyone_in(cfg: Config) -> None:
    lookup = FakeLookup()
    lookup.add(case("NM-2026-0008", person=None))
    out = Thread().run(mail(STRANGER, "[NM-2026-0008]"), ctx(cfg, lookup))
    assert out.case is None
    assert out.triage is not None and "NM-2026-0008" in out.triage


def test_tag_of_a_case_that_does_not_exist_opens_a_plain_new_case(cfg: Config) -> None:
    out = Thread().run(mail(CITIZEN, "[NM-2026-0999] hej"), ctx(cfg, FakeLookup()))
    assert out.case is None
    assert out.triage is None
    assert out.purpose is Purpose.COMPLAINT


def test_tag_with_another_organizations_prefix_is_ignored(cfg: Config) -> None:
    lookup = FakeLookup()
    # a case stored under norrmalm with a Nacka-looking ref: only the prefix can keep it out
    lookup.add(case("NK-2026-0003", org_id="norrmalm"))
    out = Thread().run(mail(CITIZEN, "Sv: [NK-2026-0003] Sofiero"), ctx(cfg, lookup))
    assert out.case is None
    assert out.triage is None
    assert "NK-2026-0003" not in lookup.ref_queries


def test_own_tag_after_a_foreign_tag_still_threads(cfg: Config) -> None:
    lookup = FakeLookup()
    known = case("NM-2026-0007")
    lookup.add(known)
    out = Thread().run(mail(CITIZEN, "[NK-2026-0003] och [NM-2026-0007]"), ctx(cfg, lookup))
    assert out.case == known


# -- staff ----------------------------------------------------------------------------


def thread_then_staff(m: Mail, c: Context) -> Mail:
    """Thread leaves staff mail without a case to the staff step, which looks further."""
    return Staff().run(Thread().run(m, c), c)


def test_staff_mail_matching_no_case_stops_as_unmatched_staff(cfg: Config) -> None:
    lookup = FakeLookup()
    lookup.add(case("NM-2026-0007"))
    passed_on = Thread().run(mail("anna.chef@stockholm.example.se", "Angående brukaren"), ctx(cfg, lookup))
    assert passed_on.case is None and passed_on.role is Role.STAFF
    with pytest.raises(Stop) as info:
        thread_then_staff(mail("anna.chef@stockholm.example.se", "Angående brukaren"), ctx(cfg, lookup))
    stop = info.value
    assert stop.outcome is Outcome.UNMATCHED_STAFF
    assert stop.mail is not None
    assert stop.mail.role is Role.STAFF
    assert stop.mail.case is None
    assert stop.mail.triage


def test_staff_quoting_an_unknown_tag_stops_as_unmatched_staff(cfg: Config) -> None:
    with pytest.raises(Stop) as info:
        thread_then_staff(mail("anna.chef@stockholm.example.se", "[NM-2026-0999] svar"), ctx(cfg, FakeLookup()))
    assert info.value.outcome is Outcome.UNMATCHED_STAFF


def test_staff_quoting_a_case_tag_threads(cfg: Config) -> None:
    lookup = FakeLookup()
    known = case("NM-2026-0007")
    lookup.add(known)
    out = Thread().run(
        mail("enhetschef.hemtjanst.norrmalm@stockholm.example.se", "Sv: [NM-2026-0007] Hemtjänsten"),
        ctx(cfg, lookup),
    )
    assert out.case == known
    assert out.role is Role.STAFF
    assert out.purpose is Purpose.REPLY


def test_provider_quoting_a_case_tag_threads_as_provider(cfg: Config) -> None:
    lookup = FakeLookup()
    known = case("NM-2026-0007")
    lookup.add(known)
    out = Thread().run(mail("kvalitet@omsorgsgruppen.example.se", "Redogörelse [NM-2026-0007]"), ctx(cfg, lookup))
    assert out.case == known
    assert out.role is Role.PROVIDER


def test_staff_of_another_organization_is_a_stranger_here(cfg: Config) -> None:
    lookup = FakeLookup()
    lookup.add(case("NM-2026-0007"))
    out = Thread().run(mail("handlaggare@nacka.example.se", "[NM-2026-0007]"), ctx(cfg, lookup))
    assert out.case is None
    assert out.role is Role.CITIZEN
    assert out.triage is not None


# -- sender_role ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "address, role",
    [
        ("registrator.norrmalm@stockholm.example.se", Role.REGISTRAR),
        ("Registrator.Norrmalm@Stockholm.Example.se", Role.REGISTRAR),
        ("kvalitet@omsorgsgruppen.example.se", Role.PROVIDER),  # a unit's external provider
        ("enhetschef.forsorjningsstod.ostermalm@stockholm.example.se", Role.PROVIDER),  # other district
        ("enhetschef.park.norrmalm@stockholm.example.se", Role.STAFF),  # a configured manager
        ("vem.som.helst@stockholm.example.se", Role.STAFF),  # the staff domain
        ("anna@kund.stockholm.example.se", Role.CITIZEN),  # not the staff domain itself
        (CITIZEN, Role.CITIZEN),
        (None, Role.CITIZEN),
    ],
)
def test_sender_role(cfg: Config, address: str | None, role: Role) -> None:
    assert sender_role(cfg.org("norrmalm"), address) is role


def test_nacka_provider_is_a_provider_only_in_nacka(cfg: Config) -> None:
    assert sender_role(cfg.org("nacka"), "kvalitet@omsorgsbolaget.example.se") is Role.PROVIDER
    assert sender_role(cfg.org("norrmalm"), "kvalitet@omsorgsbolaget.example.se") is Role.CITIZEN
