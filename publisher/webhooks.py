"""Standard Webhooks headers: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``.

The signed content is ``<id>.<timestamp>.<body>``. Every request carries ``v1a`` (Ed25519
with the publisher service's key, the one registered in the log, so a site can check it
with the public key from the ledger); a destination with a secret also gets ``v1`` (HMAC-
SHA256, made by the standardwebhooks package). The id is stable per (notice, destination),
so a site that sees the same id twice knows it is a retry of a message it may have handled.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from standardwebhooks import Webhook

#: The Standard Webhooks prefix of an Ed25519 public key (its secret key's is ``whsk_``).
PUBLIC_KEY_PREFIX = "whpk_"


def public_key(key: Ed25519PublicKey) -> str:
    """The key in Standard Webhooks' form, ``whpk_<base64 of the 32 raw bytes>``, as a
    site's webhook library takes it to check ``v1a`` signatures."""
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return PUBLIC_KEY_PREFIX + base64.b64encode(raw).decode()


def from_public_key(text: str) -> Ed25519PublicKey:
    """A ``whpk_`` key back (a ValueError on anything else)."""
    if not text.startswith(PUBLIC_KEY_PREFIX):
        raise ValueError(f"a Standard Webhooks public key starts with {PUBLIC_KEY_PREFIX}")
    raw = base64.b64decode(text[len(PUBLIC_KEY_PREFIX) :], validate=True)
    if len(raw) != 32:
        raise ValueError("a whpk_ key holds 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def webhook_id(notice: int, leaf_hash_b64: str, destination: str) -> str:
    """``msg_<notice>_<16 hex of the leaf hash>_<destination>``: the same for every attempt,
    and different for a notice at the same index of another ledger."""
    digest = base64.b64decode(leaf_hash_b64).hex()[:16]
    return f"msg_{notice}_{digest}_{destination}"


def signed_content(msg_id: str, timestamp: int, body: bytes) -> bytes:
    return f"{msg_id}.{timestamp}.".encode() + body


def sign_v1a(key: Ed25519PrivateKey, msg_id: str, timestamp: int, body: bytes) -> str:
    signature = key.sign(signed_content(msg_id, timestamp, body))
    return "v1a," + base64.b64encode(signature).decode()


def headers(
    msg_id: str,
    body: bytes,
    key: Ed25519PrivateKey,
    secret: str | None = None,
    moment: datetime | None = None,
) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt at ``moment`` (default: now)."""
    moment = moment or datetime.now(UTC)
    timestamp = int(moment.timestamp())
    signatures = [sign_v1a(key, msg_id, timestamp, body)]
    if secret is not None:
        # standardwebhooks signs text: the body is UTF-8 JSON, so this is the same bytes.
        when = datetime.fromtimestamp(timestamp, UTC)
        signatures.append(Webhook(secret).sign(msg_id, when, body.decode("utf-8")))
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }
