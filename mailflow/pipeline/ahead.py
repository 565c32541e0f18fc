"""The pure steps worked out ahead, in the parsing process, while the service writes the batch before.

Classification, routing and de-identification of a message depend only on its
text and its organization: the same arguments give the same result. The parsing
process (service.py) therefore runs those steps on each message it parses, as
the pipeline would for a new case, and hands back every result with the exact
arguments it was computed from. The pure functions carry `@ahead(name)`: inside
the write transaction a call whose arguments match one of those results takes
it instead of computing it again; any other call (a reply on a case, a staff
message, a form, different flags) computes as always. A result is never guessed:
it is used only for the same arguments, so the register is the same either way,
and the write lock is held for less of each message's work.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import pickle
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from mailflow.config import Organization
from mailflow.model import Mail, Parsed, Source

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
Entry = tuple[Hashable, Any]

# results computed ahead, by their arguments: filled for a batch before its transaction, emptied after
_READY: dict[Hashable, Any] = {}
# in the parsing process, while it works a message out: what each decorated call returned
_RECORDING: list[Entry] | None = None
# calls answered from results worked out ahead (for the tests and the benchmark's profile)
used = {"results": 0}


def _key(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Hashable | None:
    def known(value: Any) -> Any:
        # an organization is known by its id and its settings (the parsing process got a copy of it)
        return ("org", value.id, _fingerprint(value)) if isinstance(value, Organization) else value

    key = (name, *(known(v) for v in args), *((k, known(v)) for k, v in sorted(kwargs.items())))
    try:
        hash(key)
    except TypeError:  # an argument that cannot be compared: computed, never looked up
        return None
    return key


# each organization object met, with its pickle (as the parsing process gets it) and that pickle's digest;
# the object is kept so that its id is not taken by another
_KNOWN: dict[int, tuple[Organization, bytes, str]] = {}


def _known(org: Organization, blob: bytes | None = None) -> tuple[bytes, str]:
    got = _KNOWN.get(id(org))
    if got is not None and got[0] is org:
        return got[1], got[2]
    blob = pickle.dumps(org) if blob is None else blob
    digest = hashlib.sha256(blob).hexdigest()
    if len(_KNOWN) >= 64:  # configs reloaded many times: start again
        _KNOWN.clear()
    _KNOWN[id(org)] = (org, blob, digest)
    return blob, digest


def _fingerprint(org: Organization) -> str:
    """The digest of the organization's settings as pickled for the parsing process: a result worked out
    under other settings (a reloaded config) never matches."""
    return _known(org)[1]


def org_blob(org: Organization) -> bytes:
    """The organization as the parsing process gets it (pickled once per object)."""
    return _known(org)[0]


def ahead(name: str) -> Callable[[F], F]:
    """Mark a pure function whose results the parsing process may work out ahead."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            if not _READY and _RECORDING is None:  # nothing ahead (no burst): as before
                return fn(*args, **kwargs)
            key = _key(name, args, kwargs)
            if key is not None and _RECORDING is None:
                try:
                    value = _READY[key]
                except KeyError:
                    pass
                else:
                    used["results"] += 1
                    return value
            value = fn(*args, **kwargs)
            if _RECORDING is not None and key is not None:
                _RECORDING.append((key, value))
            return value

        return cast(F, call)

    return wrap


@dataclass(frozen=True)
class _OrgOnly:
    """The part of the pipeline's context the pure steps read."""

    org: Organization


@functools.lru_cache(maxsize=8)
def _organization(blob: bytes) -> Organization:
    # one object per organization for the life of the process: its lexicons are compiled once
    org = cast(Organization, pickle.loads(blob))
    _known(org, blob)  # known by the parent's bytes and their digest, not by a pickle made here
    return org


def work_out(parsed: Iterable[Parsed | str], org_blob: bytes) -> list[Entry]:
    """In the parsing process: classify, route and de-identify each parsed message as a new case."""
    global _RECORDING
    from mailflow.pipeline.classify import Classify
    from mailflow.pipeline.deidentify import Deidentify
    from mailflow.pipeline.route import Route

    org = _organization(org_blob)
    ctx: Any = _OrgOnly(org)
    steps = (Classify(), Route(), Deidentify())
    entries: list[Entry] = []
    for p in parsed:
        if isinstance(p, str):
            continue
        _RECORDING = []
        try:
            mail = Mail(source=cast(Source, None), raw=b"", parsed=p)
            for step in steps:
                mail = step.run(mail, ctx)
            entries += _RECORDING
        except Exception as exc:  # noqa: BLE001  the pipeline meets it again in the transaction, and decides there
            log.debug("event=ahead_skipped error=%s", type(exc).__name__)
        finally:
            _RECORDING = None
    return entries


def parse_and_work_out(raws: list[bytes], org_blob: bytes) -> tuple[list[Parsed | str], list[Entry]]:
    """The parsing process's task for a batch: the parsed messages and the pure steps' results."""
    from mailflow.pipeline.parse import parse_many

    parsed = parse_many(raws)
    try:
        entries = work_out(parsed, org_blob)
    except Exception as exc:  # noqa: BLE001  (the organization could not be read here): parsed only
        log.debug("event=ahead_failed error=%s", type(exc).__name__)
        entries = []
    return parsed, entries


def install(entries: list[Entry]) -> None:
    """Before a batch's transaction: the results its parsing process worked out."""
    _READY.update(entries)


def remove(entries: list[Entry]) -> None:
    """After the batch: its results go (another batch with the same arguments computes its own)."""
    for key, _ in entries:
        _READY.pop(key, None)
