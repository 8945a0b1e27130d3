"""A supplier's receipt 签收回执 checked against a verified log: is my bid in, and opened?

The receipt (``bid_box_service``) holds the commitment the box logged, its salt, the
supplier's signed envelope, the leaf index and the box's signature over all of it. Against a
log that ``sunshine verify`` has checked, it proves one of three things: the bid was disclosed
at its procurement's opening; the box has not been opened yet; or the bid was dropped, because
the log holds no leaf for a bid the box signed for, or the opening left it out. The last two
are failures anyone holding the receipt can show: the box's signature cannot be denied.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.domain.bid_box import RECEIPT_CONTEXT, envelope_command
from ledger.domain.errors import Invalid
from ledger.domain.sealed import check_disclosure
from ledger.verify import Report


class ReceiptProblem(ValueError):
    """The receipt is not the box's, or the log broke the promise it makes."""


def receipt_signed(receipt: dict[str, Any], public_key: bytes) -> bool:
    """Whether ``receipt`` carries a valid signature by ``public_key`` over the rest of it."""
    body = {k: v for k, v in receipt.items() if k != "signature"}
    try:
        signature = base64.b64decode(receipt["signature"], validate=True)
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, rfc8785.dumps(body))
    except (KeyError, TypeError, ValueError, binascii.Error, InvalidSignature):
        return False
    return body.get("context") == RECEIPT_CONTEXT


def check_bid_receipt(receipt: dict[str, Any], report: Report) -> str:
    """What the verified log says of the bid ``receipt`` acknowledges; ``ReceiptProblem``
    when the receipt is not the box's or the bid was dropped."""
    key = report.keys.get(str(receipt.get("box_key")))
    if key is None or not receipt_signed(receipt, key.public_key):
        raise ReceiptProblem("the receipt is not signed by a bid-box key registered in this log")
    commitment = str(receipt.get("commitment"))
    try:
        check_disclosure(commitment, receipt.get("envelope"), str(receipt.get("salt")))
        procurement = envelope_command(receipt["envelope"])["procurement"]
    except (Invalid, KeyError, TypeError, ValueError):
        raise ReceiptProblem(
            "the receipt's salt does not open its commitment to its envelope"
        ) from None
    box = report.bid_box
    index = box.committed.get(commitment)
    if index is None or index != receipt.get("leaf_index"):
        raise ReceiptProblem(
            f"the box acknowledged this bid on {procurement} at entry {receipt.get('leaf_index')}"
            f", but the log holds no such commitment there: a bid was dropped"
        )
    if box.opened_in.get(commitment) == procurement:
        return f"the bid on {procurement} committed at entry {index} was disclosed at its opening"
    if procurement in box.opened:
        raise ReceiptProblem(
            f"the bid on {procurement} committed at entry {index} is missing from the opening "
            "of its bid box: the bid was dropped"
        )
    return f"the bid on {procurement} committed at entry {index}; its box is not opened yet"
