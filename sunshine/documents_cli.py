"""`sunshine documents put FILE`: upload an attached document (招标文件, 合同文本).

The file is hashed here, the digest, size and type signed as an ``UploadDocument`` request
(``ledger.http_documents``), and the file streamed to ``POST /documents``. The answer holds
the reference a command attaches (``document``): paste it into ``payload.documents``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from ledger.domain.documents import EXTENSIONS

#: The type a file's extension suggests, when --type is not given.
BY_EXTENSION: Final = {f".{extension}": kind for kind, extension in EXTENSIONS.items()}
CHUNK: Final = 1 << 20


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            yield chunk


def cmd_documents_put(args: argparse.Namespace) -> int:
    import httpx

    from ledger import signing
    from ledger.http_documents import HEADER, UPLOAD

    path = Path(args.file)
    kind = args.type or BY_EXTENSION.get(path.suffix.lower())
    if kind is None:
        print(f"cannot tell the type of {path.name}: give --type "
              f"({', '.join(EXTENSIONS)})", file=sys.stderr)  # fmt: skip
        return 2
    try:
        hasher, size = hashlib.sha256(), 0
        for chunk in _chunks(path):
            hasher.update(chunk)
            size += len(chunk)
        key = signing.read_key(Path(args.key))
    except (OSError, ValueError) as exc:
        print(f"sunshine: {exc}", file=sys.stderr)
        return 2
    payload = {"sha256": base64.b64encode(hasher.digest()).decode(), "size": size,
               "media_type": kind, "name": args.name or path.name}  # fmt: skip
    command = signing.new_command(UPLOAD, payload, actor=args.actor, key=key)
    envelope = json.dumps(signing.sign(command, key), ensure_ascii=False).encode()
    headers = {
        HEADER: base64.b64encode(envelope).decode(),
        "Content-Type": kind,
        "Content-Length": str(size),
    }
    response = httpx.post(
        args.url.rstrip("/") + "/documents", content=_chunks(path), headers=headers, timeout=120
    )
    print(json.dumps(response.json(), ensure_ascii=False, indent=2))
    return 0 if response.status_code in (200, 201) else 1


def add_documents_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    documents = sub.add_parser("documents", help="attached documents 附件 (招标文件, 合同文本)")
    commands = documents.add_subparsers(dest="documents", required=True)
    p = commands.add_parser("put", help="upload a document; prints the reference to attach")
    p.add_argument("file", help="the document: PDF, OFD, DOCX, XLSX, ZIP or plain text")
    p.add_argument("--key", required=True, help="the actor's Ed25519 key file (mode 0600)")
    p.add_argument("--actor", required=True, help="the uploading actor (purchaser, agency…)")
    p.add_argument("--name", help="the name the notice shows (default: the file's name)")
    p.add_argument("--type", choices=list(EXTENSIONS), help="its media type (default: by suffix)")
    p.add_argument(
        "--url", default="http://127.0.0.1:8000",
        help="the ledger's address (default http://127.0.0.1:8000)",
    )  # fmt: skip
    p.set_defaults(func=cmd_documents_put)
