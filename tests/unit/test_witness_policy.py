"""Witness policies: the Sigsum / transparency-dev text format, k of n with named groups, and
what a checkpoint's cosignatures show under one."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.log.cosignature import cosign, cosignature_verifier_key
from ledger.log.note import Checkpoint, sign_note, verifier_key
from ledger.log.policy import PolicyError, parse_policy

LOG = Ed25519PrivateKey.generate()
ORIGIN = "sunshine-ledger.localhost/log"
BODY = Checkpoint(ORIGIN, 42, b"\x07" * 32).body()
NOTE = sign_note(BODY, ORIGIN, LOG)
KEYS = {name: Ed25519PrivateKey.generate() for name in ("sjj", "jw", "czj")}


def vkey(name: str) -> str:
    return cosignature_verifier_key(f"w.{name}", KEYS[name].public_key().public_bytes_raw())


def cosigned(*names: str, when: int | None = None) -> str:
    stamp = int(time.time()) if when is None else when
    return NOTE + "".join(cosign(BODY, f"w.{n}", KEYS[n], stamp) for n in names)


WITNESSES = "".join(f"witness {n} {vkey(n)} https://{n}.example\n" for n in KEYS)


@pytest.mark.parametrize(
    ("rules", "cosigners", "met", "missing"),
    [
        ("group both all sjj jw\nquorum both\n", ("sjj", "jw"), True, ()),
        ("group both all sjj jw\nquorum both\n", ("sjj",), False, ("jw",)),
        ("group one any sjj jw\nquorum one\n", ("jw",), True, ("sjj",)),
        ("group two 2 sjj jw czj\nquorum two\n", ("czj", "sjj"), True, ("jw",)),
        ("group two 2 sjj jw czj\nquorum two\n", ("czj",), False, ("sjj", "jw")),
        # nested: the 审计局 AND (either of the others)
        ("group other any jw czj\ngroup g all sjj other\nquorum g\n", ("sjj", "czj"), True,
         ("jw",)),
        ("group other any jw czj\ngroup g all sjj other\nquorum g\n", ("jw", "czj"), False,
         ("sjj",)),
        ("quorum sjj\n", ("sjj",), True, ()),
        ("quorum none\n", (), True, ()),
    ],
)
def test_quorum(rules: str, cosigners: tuple[str, ...], met: bool,
                missing: tuple[str, ...]) -> None:
    result = parse_policy(WITNESSES + rules).evaluate(cosigned(*cosigners))
    assert result.met is met
    assert result.missing == missing
    if not met:
        with pytest.raises(PolicyError, match="missing " + ", ".join(missing)):
            parse_policy(WITNESSES + rules).require(cosigned(*cosigners))


def test_a_forged_cosignature_of_a_policy_witness_is_an_error_not_an_absence() -> None:
    policy = parse_policy(WITNESSES + "quorum sjj\n")
    other_body = Checkpoint(ORIGIN, 43, b"\x07" * 32).body()
    forged = NOTE + cosign(other_body, "w.sjj", KEYS["sjj"], int(time.time()))
    with pytest.raises(PolicyError, match="invalid cosignature"):
        policy.evaluate(forged)
    with pytest.raises(PolicyError, match="in the future"):
        policy.evaluate(cosigned("sjj", when=int(time.time()) + 3600))


def test_unknown_signature_lines_are_ignored() -> None:
    stranger = Ed25519PrivateKey.generate()
    note = cosigned("sjj") + cosign(BODY, "w.stranger", stranger, 1)
    assert parse_policy(WITNESSES + "quorum sjj\n").evaluate(note).met


def test_the_log_line_pins_the_log_key() -> None:
    log_key = verifier_key(ORIGIN, LOG.public_key().public_bytes_raw())
    policy = parse_policy(f"log {log_key}\n{WITNESSES}quorum none\n")
    assert policy.log is not None and policy.log.name == ORIGIN


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no `quorum` line"),
        (WITNESSES + "quorum sjj\nquorum jw\n", "exactly one"),
        (WITNESSES + "quorum nobody\n", "not defined"),
        (WITNESSES + "group g all sjj nobody\nquorum g\n", "not defined above"),
        (WITNESSES + "group g 3 sjj jw\nquorum g\n", "threshold"),
        (WITNESSES + "group g 0 sjj jw\nquorum g\n", "threshold"),
        (WITNESSES + "group g all sjj sjj\nquorum g\n", "twice"),
        (WITNESSES + "group sjj all jw\nquorum sjj\n", "already defined"),
        (WITNESSES + f"witness again {vkey('sjj')}\nquorum sjj\n", "repeats another"),
        ("witness x not-a-key\nquorum x\n", "witness x"),
        (WITNESSES + "quorom sjj\n", "unknown keyword"),
    ],
)
def test_malformed_policies_are_refused_naming_the_line(text: str, problem: str) -> None:
    with pytest.raises(PolicyError, match=problem):
        parse_policy(text)
