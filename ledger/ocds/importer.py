"""An import run: a checked source's new releases, signed by the importer and stored in batches.

Everything is decided before the first store: the source checked whole
(``ledger.ocds.importing``), then one query per few hundred releases for those already
recorded. A release recorded with the same digest is skipped; one recorded with other
content refuses the whole source, naming it. Each new release is then one signed
``ImportRelease`` command, and the commands go to ``Ledger.submit_many`` in batches, which
verifies and decides each as ``submit`` would and stores a batch in one transaction.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import signing
from ledger.application import Ledger, Receipt
from ledger.canonical import canonical_text, validate
from ledger.commands import MAX_BODY_BYTES
from ledger.domain.errors import LedgerError
from ledger.domain.imports import import_stream
from ledger.domain.schema import entries as E
from ledger.domain.schema.kinds import BY_DATA
from ledger.ocds.importing import ImportRefused, Release, Source

BATCH: Final = 64
COMMAND: Final = BY_DATA[E.ReleaseImported].command

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Outcome:
    recorded: int
    skipped: int


def new_releases(ledger: Ledger, source: Source) -> list[Release]:
    """The source's releases not yet recorded; refused if one was recorded otherwise."""
    streams = [import_stream(r.ocid, r.id) for r in source.releases]
    recorded = ledger.registry.imported(streams)
    fresh = []
    for release, stream in zip(source.releases, streams, strict=True):
        digest = recorded.get(stream)
        if digest is None:
            fresh.append(release)
        elif digest != release.digest:
            raise ImportRefused(
                f"发布 {release.ocid} / {release.id} 已以不同内容导入过；同一 ocid 与 id 的"
                "发布不能被改写，未导入任何内容"
            )
    return fresh


def bodies(
    source: Source, releases: Sequence[Release], actor: str, key: Ed25519PrivateKey
) -> list[bytes]:
    """One signed command per release, each refused here if it could not be sent."""
    key_id = signing.key_id(key)
    out = []
    for release in releases:
        command = {
            "type": COMMAND,
            "procurement": None,
            "payload": {
                "source": source.name,
                "sha256": source.sha256,
                "ocid": release.ocid,
                "id": release.id,
                "date": release.date,
                "release": release.text,
            },
            "actor": actor,
            "key": key_id,
            "issued_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "nonce": secrets.token_urlsafe(18),
        }
        out.append(_signed(command, key, release))
    return out


def _signed(command: dict[str, Any], key: Ed25519PrivateKey, release: Release) -> bytes:
    # The ledger's own canonical encoder: the payload holds text and nulls only, where it
    # and the RFC 8785 reference agree (tests/unit/test_canonical.py), at a fraction of
    # the reference's cost per release.
    try:
        validate(command, "command")  # what the ledger would refuse, refused before any store
    except LedgerError as problem:
        raise ImportRefused(
            f"发布 {release.ocid} / {release.id} 无法记录：{problem.message}"
        ) from None
    signature = key.sign(canonical_text(command).encode())
    body = orjson.dumps(
        {"command": command, "signature": base64.b64encode(signature).decode("ascii")}
    )
    if len(body) > MAX_BODY_BYTES:
        raise ImportRefused(
            f"发布 {release.ocid} / {release.id} 签名后的命令超过 {MAX_BODY_BYTES} 字节，"
            "无法作为一条记录导入"
        )
    return body


def submit(
    ledger: Ledger, signed: Sequence[bytes], progress: Progress | None = None,
    batch: int = BATCH,
) -> int:
    """Store the signed commands in batches; the first refusal stops the run."""
    done = 0
    for start in range(0, len(signed), batch):
        outcomes = ledger.submit_many(signed[start : start + batch], proofs=False)
        for outcome in outcomes:
            if not isinstance(outcome, Receipt):
                raise ImportRefused(
                    f"账本拒绝了第 {done + 1} 条导入命令：{outcome.message}；此前的 {done} 条"
                    "已记录，再次导入同一文件会跳过它们"
                )
            done += 1
        if progress is not None:
            progress(done, len(signed))
    return done


def import_source(
    ledger: Ledger,
    source: Source,
    actor: str,
    key: Ed25519PrivateKey,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> Outcome:
    fresh = new_releases(ledger, source)
    signed = bodies(source, fresh, actor, key)
    recorded = submit(ledger, signed, progress, batch)
    return Outcome(recorded, len(source.releases) - len(fresh))
