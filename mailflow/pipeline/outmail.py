"""Composing outbox mails from a step (pure): Message-IDs fixed by their seed, headers that thread."""

from __future__ import annotations

from mailflow import mime
from mailflow.model import Mail, OutMail, Purpose, Role
from mailflow.pipeline import Context


def tagged(ref: str | None, subject: str) -> str:
    """The subject with the case tag in front (once); as it is when there is no case."""
    subject = " ".join(subject.split())
    if not ref:
        return subject
    tag = f"[{ref}]"
    return subject if tag in subject else f"{tag} {subject}".strip()


def compose(
    mail: Mail,
    ctx: Context,
    purpose: Purpose,
    *,
    to: tuple[str, ...],
    subject: str,
    record_subject: str,
    text: str,
    html: str,
    ref: str | None,
    cc: tuple[str, ...] = (),
    reply_to: tuple[str, ...] = (),
    attach: bytes | None = None,
    headers: dict[str, str] | None = None,
    role: Role = Role.SYSTEM,
    seed: str = "",
    thread: bool = True,
) -> OutMail:
    """One outbox mail about `mail`; the same message, purpose and recipients give the same Message-ID."""
    org = ctx.org
    p = mail.parsed
    assert p is not None
    message_id = mime.make_message_id(
        f"{org.id}|{mail.message_id}|{purpose.value}|{seed}|{','.join(to)}", mime.domain_of(org.complaints_address)
    )
    threads = thread and p.has_message_id
    own = {"X-Mailflow-Purpose": purpose.value}
    if ref:
        own["X-Mailflow-Case"] = ref
    payload = mime.build(
        message_id=message_id,
        sender=(org.name, org.complaints_address),
        to=to,
        cc=cc,
        reply_to=reply_to,
        subject=subject,
        text=text,
        html=html,
        at=ctx.clock.now(),
        in_reply_to=p.message_id if threads else None,
        references=(p.references + (p.message_id,)) if threads else (),
        headers={**own, **(headers or {})},
        attach_original=attach or None,
    )
    return OutMail(
        message_id=message_id,
        purpose=purpose,
        sender=org.complaints_address,
        recipients=tuple(dict.fromkeys(to + cc)),
        subject=subject,
        record_subject=record_subject,
        payload=payload,
        role=role,
    )


def staff_reply(mail: Mail, ref: str | None, notes: tuple[str, ...], ctx: Context) -> OutMail:
    """A short answer to a staff member: what was registered or done, or why not."""
    p = mail.parsed
    assert p is not None and mail.sender is not None
    subject, text, html = ctx.render.render("staff_reply", ctx.org.language, ref=ref or "", org=ctx.org,
                                            notes=notes, original_subject=p.subject)
    return compose(mail, ctx, Purpose.COMMAND, to=(mail.sender,), subject=tagged(ref, subject),
                   record_subject=tagged(ref, subject), text=text, html=html, ref=ref,
                   headers={"Auto-Submitted": "auto-generated"}, seed="staff")
