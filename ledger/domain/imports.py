"""Imported open data 导入的OCDS发布: another system's releases, recorded as imported.

``ImportRelease`` is signed by an actor in the importer role 数据导入服务. Its payload names
the source (file or URL), the source file's SHA-256, the release's ``ocid``, ``id`` and
``date``, and the release itself as JSON text. The handler checks that the text is one
JSON object saying the same ocid, id and date; the OCDS schema and the file-wide checks
(duplicates, the ocid prefix) are the importer's, before it signs anything
(``ledger.ocds.importing``). One stream per (ocid, id): a release is recorded once.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import orjson
from eventsourcing.domain import Aggregate

from ledger.domain import fields
from ledger.domain.errors import Conflict, Forbidden, Invalid
from ledger.domain.events import Signed, SignedCreated, ValueAggregate
from ledger.domain.registry import Role, Signer, stream_id
from ledger.domain.registry_commands import Handler, RegistryView
from ledger.domain.schema import entries as E
from ledger.domain.schema.kinds import BY_DATA

PAYLOAD: Final = ("source", "sha256", "ocid", "id", "date", "release")
HEX64: Final = re.compile(r"[0-9a-f]{64}\Z")
#: An ocid: a registered prefix ``ocds-xxxxxx``, then the publisher's own identifier.
OCID: Final = re.compile(r"ocds-[a-z0-9]{6}-\S.{0,240}\Z", re.DOTALL)


def import_key(ocid: str, release_id: str) -> str:
    # A newline cannot be in an ocid or a release id the importer accepts: no two pairs meet.
    return f"{ocid}\n{release_id}"


def import_stream(ocid: str, release_id: str) -> UUID:
    return stream_id("import", import_key(ocid, release_id))


def release_digest(release: str) -> str:
    return hashlib.sha256(release.encode()).hexdigest()


class ImportedRelease(ValueAggregate):
    """One imported release: recorded once, never changed."""

    class Imported(SignedCreated):
        event_type = E.ReleaseImported.__name__

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        self.digest = orjson.loads(data)["digest"]


def check_release(ocid: str, release_id: str, date: str, release: str) -> None:
    """The release text is one JSON object with this ocid, id and date (an RFC 3339 time)."""
    if not OCID.match(ocid) or "\n" in ocid:
        raise Invalid(f"payload.ocid {ocid[:80]!r} is not an ocid with a registered prefix")
    if not release_id or len(release_id) > 256 or "\n" in release_id:
        raise Invalid("payload.id must be a release id of 1 to 256 characters on one line")
    try:
        moment = datetime.fromisoformat(date.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Invalid("payload.date must be an RFC 3339 time with its offset")
    try:
        value = orjson.loads(release)
    except orjson.JSONDecodeError:
        raise Invalid("payload.release must be the release as JSON text") from None
    if not isinstance(value, dict):
        raise Invalid("payload.release must be a JSON object")
    for name, given in (("ocid", ocid), ("id", release_id), ("date", date)):
        if value.get(name) != given:
            raise Invalid(f"payload.{name} differs from the release's own {name}")


def import_release(
    signer: Signer, payload: dict[str, Any], signed: Signed, view: RegistryView
) -> list[Aggregate]:
    """ImportRelease: record one release of another system, once. Decided like a registry
    command: it reads no procurement and no statute (``command.procurement`` must be null:
    the application checks it)."""
    if signer.role is not Role.IMPORTER:
        raise Forbidden(
            "rule roles.import_release: imported releases are recorded only by an importing "
            f"service 数据导入服务; {signer.actor} acts as {signer.role.value}"
        )
    fields.only(payload, PAYLOAD)
    values = {name: payload.get(name) for name in PAYLOAD}
    for name, value in values.items():
        if not isinstance(value, str) or not value:
            raise Invalid(f"payload.{name} must be a non-empty text")
    source, sha256, ocid, release_id, date, release = (str(values[n]) for n in PAYLOAD)
    if len(source) > 2000:
        raise Invalid("payload.source must be at most 2000 characters")
    if not HEX64.match(sha256):
        raise Invalid("payload.sha256 must be the source file's SHA-256 in lowercase hex")
    check_release(ocid, release_id, date, release)
    key = import_key(ocid, release_id)
    if view.taken("import", key):
        raise Conflict(
            f"release {release_id} of {ocid} was already imported", code="exists"
        )
    data = E.ReleaseImported(
        source=source,
        sha256=sha256,
        ocid=ocid,
        id=release_id,
        date=date,
        digest=release_digest(release),
        release=release,
    )
    created = ImportedRelease._create(
        ImportedRelease.Imported, id=import_stream(ocid, release_id), **signed.fields(data)
    )
    return [created]


IMPORT_HANDLERS: Final[dict[str, Handler]] = {
    BY_DATA[E.ReleaseImported].command: import_release,
}
