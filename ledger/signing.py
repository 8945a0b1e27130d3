"""Client side: build and sign a command with the RFC 8785 reference encoder.

The server canonicalises with its own fast encoder; signing here with the
`rfc8785` package keeps the two independent, so a divergence fails loudly.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.domain.committee import report_message
from ledger.domain.registry import key_id_of
from ledger.domain.sealed import Disclosure, seal
from ledger.store.secret_file import read_secret, write_secret


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PrivateKey) -> str:
    return key_id_of(public_bytes(key))


def public_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(public_bytes(key)).decode("ascii")


def new_command(
    kind: str,
    payload: dict[str, Any],
    *,
    actor: str,
    key: Ed25519PrivateKey,
    procurement: str | None = None,
    issued_at: datetime | None = None,
) -> dict[str, Any]:
    moment = (issued_at or datetime.now(UTC)).astimezone(UTC)
    return {
        "type": kind,
        "procurement": procurement,
        "payload": payload,
        "actor": actor,
        "key": key_id(key),
        "issued_at": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "nonce": secrets.token_urlsafe(18),
    }


def sign(
    command: dict[str, Any],
    key: Ed25519PrivateKey,
    sealed: dict[str, Disclosure] | None = None,
) -> dict[str, Any]:
    """The request body: the command, the signature over its canonical JSON, and the
    values and salts of the sealed values its payload commits to."""
    signature = key.sign(rfc8785.dumps(command))
    body = {"command": command, "signature": base64.b64encode(signature).decode("ascii")}
    if sealed:
        body["sealed"] = {
            commitment: {"value": d.value, "salt": d.salt_b64} for commitment, d in sealed.items()
        }
    return body


def sealed_value(value: Any, into: dict[str, Disclosure]) -> dict[str, str]:
    """Seal ``value`` for a payload: returns its commitment, adds the opening to ``into``."""
    commitment, disclosure = seal(value)
    into[commitment["commitment"]] = disclosure
    return commitment


def evaluation(
    procurement: str,
    date: str,
    results: list[dict[str, Any]],
    experts: Sequence[tuple[str, str, Ed25519PrivateKey]],
    representatives: Sequence[str],
    into: dict[str, Disclosure],
    selections: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A ``CompleteEvaluation`` payload: each expert ``(name, actor, key)`` signs the report,
    and the committee, experts and representatives, is sealed (its opening added to
    ``into``) until the result notice. ``selections``, one per expert in order, say how each
    was selected (``{"selection": …, "consent"?: …}``); none: not said."""
    report = report_message(procurement, date, results)
    members: list[dict[str, Any]] = [
        {
            "name": name,
            "role": "expert",
            "actor": actor,
            "key": key_id(key),
            "signature": base64.b64encode(key.sign(report)).decode("ascii"),
        }
        for name, actor, key in experts
    ]
    for member, selection in zip(members, selections, strict=False):
        member |= selection
    members += [{"name": name, "role": "representative"} for name in representatives]
    return {"date": date, "committee": sealed_value(members, into), "results": results}


def write_key(path: Path, key: Ed25519PrivateKey) -> None:
    """A new private key file, mode 0600; an existing file is never overwritten."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_secret(path, pem)


def read_key(path: Path) -> Ed25519PrivateKey:
    """The private key at `path`, refused when other users may read the file."""
    key = serialization.load_pem_private_key(read_secret(path), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key
