"""Log entries without what is fresh on every run, to compare two ledgers built from the
same commands (or the same plan): the store's clock, and what the bid box draws (salts, the
commitments made with them, its dummies, its own commands' nonces and times)."""

from __future__ import annotations

import json
import re
from typing import Any

from demo.builder import BID_BOX

#: A signature (64 bytes), a commitment, hash or public key (32), a salt (16), in base64;
#: a moment in RFC 3339.
FRESH = re.compile(
    r"[A-Za-z0-9+/]{86}==|[A-Za-z0-9+/]{43}=|[A-Za-z0-9+/]{22}=="
    r"|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z"
)


def without_fresh(leaf: dict[str, Any], signed_anew: bool = False) -> dict[str, Any]:
    """``leaf`` without what is fresh; ``signed_anew``: the commands were signed again (the
    same plan built twice), so their times and signatures differ too."""
    kept = {k: v for k, v in leaf.items() if k != "recorded_at"}
    if leaf["actor"] == BID_BOX[1]:
        kept = {k: v for k, v in kept.items() if k not in ("command", "signature", "stream")}
    elif signed_anew:  # and sealed anew: the salts of its sealed values are fresh too
        command = {k: v for k, v in leaf["command"].items() if k != "issued_at"}
        kept["command"] = json.loads(FRESH.sub("…", json.dumps(command, ensure_ascii=False)))
        del kept["signature"]
    data = json.loads(FRESH.sub("…", json.dumps(leaf["data"], ensure_ascii=False)))
    if isinstance(data.get("box"), list):  # an opened box's members, sorted by commitment
        data["box"].sort(key=lambda member: json.dumps(member, sort_keys=True))
    kept["data"] = data
    return kept


def leaves_of(reader: Any, size: int) -> list[dict[str, Any]]:
    """The first ``size`` entries of the log ``reader`` reads, parsed."""
    pages = (reader.entries(n, min(1000, size - n)) for n in range(0, size, 1000))
    return [json.loads(leaf) for page in pages for leaf in page]
