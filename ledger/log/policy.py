"""Witness policies: which cosignatures a checkpoint needs before a reader believes it.

The text format is the Sigsum / transparency-dev policy format, with C2SP verifier keys::

    log <log vkey> [URL]                    optional, at most once: the log's own key
    witness <NAME> <witness vkey> [URL]
    group <NAME> all|any|<K> <MEMBER>...    members: witnesses or earlier groups
    quorum <NAME>                           exactly once; a witness, a group, or none

``#`` starts a comment. Names are unique across witnesses and groups and are what a reader
is told ("缺少见证：纪委监委"). Pure: no I/O.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from ledger.log.cosignature import (
    Cosignature,
    CosignatureVerifier,
    note_parts,
    parse_cosignature_key,
    signature_lines,
)
from ledger.log.note import NoteError, Verifier, parse_verifier_key

__all__ = ["Group", "Policy", "PolicyError", "QuorumResult", "parse_policy"]

#: A cosignature dated further ahead than this is refused: a witness does not sign the future.
MAX_CLOCK_SKEW_SECONDS: Final = 600
MAX_POLICY_BYTES: Final = 64 * 1024


class PolicyError(ValueError):
    """A policy file that cannot be read, or a checkpoint that breaks one."""


@dataclass(frozen=True)
class Witness:
    name: str
    verifier: CosignatureVerifier
    url: str | None


@dataclass(frozen=True)
class Group:
    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class QuorumResult:
    """What the cosignatures of one checkpoint show under a policy."""

    met: bool
    present: dict[str, Cosignature]  # policy name -> its verified cosignature
    missing: tuple[str, ...]  # policy names of witnesses without one, in policy order

    def describe(self) -> str:
        have = ", ".join(self.present) or "none"
        if self.met:
            return f"witness quorum met (cosigned by {have})"
        return f"witness quorum not met: missing {', '.join(self.missing)} (cosigned by {have})"


@dataclass(frozen=True)
class Policy:
    witnesses: dict[str, Witness]
    groups: dict[str, Group]
    quorum: str | None  # None: the policy requires no cosignature
    log: Verifier | None = None
    log_url: str | None = None
    text: str = field(default="", compare=False)

    def cosignatures(self, note: str, now: int | None = None) -> dict[str, Cosignature]:
        """The policy's witnesses whose valid cosignature the note carries. A line that claims
        a policy witness's key but does not verify is a PolicyError: that is never benign."""
        text, lines = note_parts(note)
        limit = (int(time.time()) if now is None else now) + MAX_CLOCK_SKEW_SECONDS
        found: dict[str, Cosignature] = {}
        for key_name, blob in signature_lines(lines):
            for witness in self.witnesses.values():
                if not witness.verifier.matches(key_name, blob):
                    continue
                try:
                    cosig = witness.verifier.verify(text, blob)
                except NoteError as exc:
                    raise PolicyError(f"witness {witness.name}: {exc}") from None
                if cosig.timestamp > limit:
                    raise PolicyError(
                        f"witness {witness.name}: cosignature dated in the future "
                        f"({cosig.timestamp})"
                    )
                found.setdefault(witness.name, cosig)
        return {name: found[name] for name in self.witnesses if name in found}  # policy order

    def evaluate(self, note: str, now: int | None = None) -> QuorumResult:
        present = self.cosignatures(note, now)
        met = self.quorum is None or self._satisfied(self.quorum, present)
        needed = self._witnesses_under(self.quorum) if self.quorum else []
        missing = tuple(n for n in needed if n not in present)
        return QuorumResult(met, present, missing)

    def require(self, note: str, now: int | None = None) -> QuorumResult:
        result = self.evaluate(note, now)
        if not result.met:
            raise PolicyError(result.describe())
        return result

    def _satisfied(self, name: str, present: dict[str, Cosignature]) -> bool:
        if name in self.witnesses:
            return name in present
        group = self.groups[name]
        return sum(self._satisfied(m, present) for m in group.members) >= group.threshold

    def _witnesses_under(self, name: str) -> list[str]:
        if name in self.witnesses:
            return [name]
        out: list[str] = []
        for member in self.groups[name].members:
            out += [w for w in self._witnesses_under(member) if w not in out]
        return out


def _fail(number: int, message: str) -> PolicyError:
    return PolicyError(f"policy line {number}: {message}")


def parse_policy(text: str) -> Policy:
    """Parse a policy; every mistake is a PolicyError naming its line."""
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise PolicyError(f"the policy is over {MAX_POLICY_BYTES} bytes")
    witnesses: dict[str, Witness] = {}
    groups: dict[str, Group] = {}
    quorum: str | None = None
    seen_quorum = False
    log: Verifier | None = None
    log_url: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        keyword, args = words[0], words[1:]
        if keyword == "log":
            if log is not None or not 1 <= len(args) <= 2:
                raise _fail(number, "at most one `log <vkey> [URL]` line")
            try:
                log = parse_verifier_key(args[0])
            except NoteError as exc:
                raise _fail(number, f"log key: {exc}") from None
            log_url = args[1] if len(args) == 2 else None
        elif keyword == "witness":
            if not 2 <= len(args) <= 3:
                raise _fail(number, "expected `witness <name> <vkey> [URL]`")
            name = _new_name(number, args[0], witnesses, groups)
            try:
                verifier = parse_cosignature_key(args[1])
            except NoteError as exc:
                raise _fail(number, f"witness {name}: {exc}") from None
            if any(w.verifier.public_key == verifier.public_key for w in witnesses.values()):
                raise _fail(number, f"witness {name} repeats another witness's key")
            witnesses[name] = Witness(name, verifier, args[2] if len(args) == 3 else None)
        elif keyword == "group":
            if len(args) < 3:
                raise _fail(number, "expected `group <name> all|any|<K> <member>...`")
            name = _new_name(number, args[0], witnesses, groups)
            members = tuple(args[2:])
            for member in members:
                if member not in witnesses and member not in groups:
                    raise _fail(number, f"group {name}: {member} is not defined above")
            if len(set(members)) != len(members):
                raise _fail(number, f"group {name} names a member twice")
            threshold = _threshold(number, args[1], len(members))
            groups[name] = Group(name, threshold, members)
        elif keyword == "quorum":
            if seen_quorum or len(args) != 1:
                raise _fail(number, "exactly one `quorum <name>` line")
            seen_quorum = True
            if args[0] != "none":
                if args[0] not in witnesses and args[0] not in groups:
                    raise _fail(number, f"quorum {args[0]} is not defined above")
                quorum = args[0]
        else:
            raise _fail(number, f"unknown keyword {keyword!r}")
    if not seen_quorum:
        raise PolicyError("the policy has no `quorum` line")
    return Policy(witnesses, groups, quorum, log, log_url, text)


def _new_name(number: int, name: str, *defined: Mapping[str, object]) -> str:
    if name == "none" or any(name in names for names in defined):
        raise _fail(number, f"the name {name} is already defined (or reserved)")
    return name


def _threshold(number: int, text: str, members: int) -> int:
    if text == "all":
        return members
    if text == "any":
        return 1
    if not text.isdigit() or text != str(int(text)) or not 1 <= int(text) <= members:
        raise _fail(number, f"threshold {text!r} is not all, any or 1..{members}")
    return int(text)


def policy_for(witnesses: list[tuple[str, str, str]]) -> str:
    """The policy a log serves when none is configured: every witness it submits to, all
    of them required. ``witnesses``: (name, vkey, url)."""
    lines = [f"witness {name} {vkey} {url}" for name, vkey, url in witnesses]
    if len(witnesses) == 1:
        lines.append(f"quorum {witnesses[0][0]}")
    else:
        names = " ".join(name for name, _, _ in witnesses)
        lines += [f"group all-witnesses all {names}", "quorum all-witnesses"]
    return "\n".join(lines) + "\n"
