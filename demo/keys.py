"""The demo's keys: derived from a public name, so anyone can re-sign the demo's commands.

Never for a real ledger: the demo's keys are as public as its source.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def demo_key(name: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(f"sunshine-demo:{name}".encode()).digest()
    )
