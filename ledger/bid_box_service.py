"""The ledger's bid-box service 投标箱服务: the actor that signs what the box records.

The box's key is the server's own (``<data dir>/bid-box-key.pem``, made on first start, mode
0600), registered in the ledger like any service actor's: an organisation of kind
``bid_box``, its actor, and this key (``sunshine bid-box key`` prints it). Until that key is
registered and valid, no bid is taken (``no_bid_box``).

For each command decided, a ``BoxSession`` is the domain's ``BidBox``: it seals the
supplier's envelope under a fresh salt, signs the box's ``CommitBid`` (or, for a challenge,
its ``RecordChallenge``), keeps the dummies of a closing, and queues every row for the
command's transaction. After the insert it writes the supplier's private receipt 签收回执
(财政部令第87号 第三十三条), signed by the box.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import signing
from ledger.canonical import canonical, canonical_text
from ledger.commands import Envelope
from ledger.domain.bid_box import RECEIPT_CONTEXT
from ledger.domain.context import CHINA
from ledger.domain.events import Signed
from ledger.domain.registry import Role
from ledger.domain.sealed import SALT_BYTES, Disclosure
from ledger.log.signer import load_or_create_key
from ledger.records import RepositoryRegistry
from ledger.store.recorders import BoxClosing, BoxRow, SealedRow
from ledger.store.sealed_store import SealedStore


@dataclass
class BoxSession:
    """The box for one command: what it sealed, queued for the command's transaction."""

    envelope: Envelope
    sealed: SealedStore
    actor: str
    key: Ed25519PrivateKey
    key_id: str
    rows: list[SealedRow] = field(default_factory=list)
    box: list[BoxRow] = field(default_factory=list)
    closing: BoxClosing | None = None
    committed: tuple[str, str, str, str] | None = None  # commitment, salt, procurement, supplier
    envelope_sealed: tuple[str, str] | None = None  # a challenge's: commitment, salt

    def _seal_envelope(self, procurement: str, owner: str) -> tuple[str, str]:
        """The command's envelope kept sealed under a fresh salt: its commitment and salt."""
        value = {"command": self.envelope.text, "signature": self.envelope.signature_b64}
        salt = secrets.token_bytes(SALT_BYTES)
        # Two strings: orjson's sorted output is RFC 8785 here (see ledger.canonical), and the
        # verifier opens it with the reference encoder all the same.
        commitment = base64.b64encode(hashlib.sha256(salt + canonical(value)).digest()).decode()
        salt_b64 = base64.b64encode(salt).decode()
        disclosure = Disclosure(value, salt_b64)
        self.rows.append(
            self.sealed.row(
                commitment, disclosure, procurement=procurement, owner=owner, checked=True
            )
        )
        return commitment, salt_b64

    def _sign(self, kind: str, procurement: str | None, payload: dict[str, Any]) -> Signed:
        """The box's own signed command recording what it sealed."""
        command = {
            "type": kind,
            "procurement": procurement,
            "payload": payload,
            "actor": self.actor,
            "key": self.key_id,
            "issued_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "nonce": secrets.token_urlsafe(18),
        }
        text = canonical_text(command)
        signature = base64.b64encode(self.key.sign(text.encode())).decode()
        return Signed(self.actor, self.key_id, text, signature)

    def seal(
        self,
        procurement: str,
        supplier: str,
        supersedes: str | None,
        withdrawn: bool,
        obtained: bool = False,
    ) -> tuple[str, Signed]:
        commitment, salt_b64 = self._seal_envelope(procurement, supplier)
        row = BoxRow(commitment, procurement, supplier, supersedes, withdrawn, obtained)
        self.box.append(row)
        self.committed = (commitment, salt_b64, procurement, supplier)
        # No procurement, no supplier: the leaf cannot be linked to either before the opening.
        return commitment, self._sign("CommitBid", None, {"commitment": commitment})

    def seal_for(
        self, kind: str, procurement: str, supplier: str, public: dict[str, Any]
    ) -> tuple[str, str, Signed]:
        """The envelope sealed, and the box's ``kind`` command recording ``public`` with
        the envelope's commitment: the commitment, its salt and the box's signed command."""
        commitment, salt_b64 = self._seal_envelope(procurement, supplier)
        self.envelope_sealed = (commitment, salt_b64)
        payload = {**public, "envelope": {"commitment": commitment}}
        return commitment, salt_b64, self._sign(kind, procurement, payload)

    def close(
        self, procurement: str, envelopes: int, dummies: list[tuple[str, Disclosure]]
    ) -> None:
        self.closing = BoxClosing(procurement, envelopes)
        for commitment, disclosure in dummies:
            self.rows.append(self.sealed.row(commitment, disclosure, procurement=procurement))
            self.box.append(BoxRow(commitment, procurement, None))

    def receipt(self, leaf: dict[str, Any], checkpoint: str | None) -> dict[str, Any] | None:
        """The supplier's signed receipt for the envelope this command sealed, if any."""
        if self.committed is None:
            return None
        commitment, salt, procurement, supplier = self.committed
        body: dict[str, Any] = {
            "context": RECEIPT_CONTEXT,
            "procurement": procurement,
            "supplier": supplier,
            "commitment": commitment,
            "salt": salt,
            "envelope": {"command": self.envelope.text, "signature": self.envelope.signature_b64},
            "received_at": datetime.now(UTC).astimezone(CHINA).strftime("%Y-%m-%d %H:%M"),
            "leaf_index": leaf.get("index"),
            "leaf_hash": leaf.get("leaf_hash"),
            "proof": leaf.get("proof"),
            "checkpoint": checkpoint,
            "box_key": self.key_id,
        }
        signature = self.key.sign(canonical(body))  # RFC 8785: strings, integers, null
        return {**body, "signature": base64.b64encode(signature).decode()}


class BidBoxService:
    """The box's key, and whether the ledger has registered it."""

    def __init__(self, key_path: Path, sealed: SealedStore):
        self.key = load_or_create_key(key_path)
        self.key_id = signing.key_id(self.key)
        self.public_b64 = signing.public_b64(self.key)
        self.sealed = sealed

    def session(self, envelope: Envelope, registry: RepositoryRegistry) -> BoxSession | None:
        """A session for ``envelope``'s command; None while the box's key is not registered
        to a bid-box actor, or was revoked."""
        key = registry.key(self.key_id)
        if key is None or key.revoked or key.role is not Role.BID_BOX:
            return None
        return BoxSession(envelope, self.sealed, key.owner, self.key, self.key_id)
