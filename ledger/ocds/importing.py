"""Another system's OCDS, read and checked whole before anything of it is recorded.

A source is a release package (``{"releases": [...]}``), or JSON Lines of release packages
or of releases. Every release is checked against the OCDS 1.1.5 release schema (shipped in
``schema/``, from https://standard.open-contracting.org/schema/1__1__5/release-schema.json,
Apache 2.0), its ocid against the registered ``ocds-xxxxxx`` form, another publisher's
prefix (never ours) and the prefix the operator expects, and no (ocid, id) may come twice.
The first problem refuses the whole source, in Chinese, naming the release and the path of
the field. ``ledger.domain.imports`` then records each release as it is given here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, Final

import httpx
import jsonschema_rs
import orjson

from ledger.canonical import MAX_STRING
from ledger.domain.imports import OCID, release_digest

MAX_BYTES: Final = 64 * 1024 * 1024
CHUNK: Final = 1024 * 1024
TIMEOUT: Final = 30.0
PREFIX: Final = re.compile(r"ocds-[a-z0-9]{6}\Z")
SCHEMA_FILE: Final = "release-schema-1.1.5.json"


class ImportRefused(Exception):
    """The source cannot be imported; nothing of it was recorded."""


@dataclass(frozen=True)
class Release:
    """One release as it will be recorded: its JSON text and that text's SHA-256."""

    ocid: str
    id: str
    date: str
    text: str
    digest: str


@dataclass(frozen=True)
class Source:
    name: str  # the file's path or the URL, as given
    sha256: str  # of the source's bytes
    releases: tuple[Release, ...]


def read_source(location: str, max_bytes: int = MAX_BYTES, timeout: float = TIMEOUT) -> Source:
    """The releases of a file or an http(s) URL, read in chunks and refused past
    ``max_bytes`` without being loaded whole, parsed and checked (``check``)."""
    chunks = _fetch(location, max_bytes, timeout) if _is_url(location) else _read(
        Path(location), max_bytes)  # fmt: skip
    raw = b"".join(_capped(chunks, max_bytes, location))
    return Source(location, hashlib.sha256(raw).hexdigest(), parse(raw))


def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def _read(path: Path, max_bytes: int) -> Iterator[bytes]:
    try:
        with path.open("rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk
    except OSError as problem:
        raise ImportRefused(f"无法读取文件 {path}：{problem.strerror or problem}") from None


def _fetch(url: str, max_bytes: int, timeout: float) -> Iterator[bytes]:
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=False) as response:
            if response.status_code != 200:
                raise ImportRefused(f"下载 {url} 失败：HTTP {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise ImportRefused(_too_big(url, max_bytes))
            yield from response.iter_bytes(CHUNK)
    except httpx.HTTPError as problem:
        raise ImportRefused(f"下载 {url} 失败：{problem}") from None


def _capped(chunks: Iterator[bytes], max_bytes: int, location: str) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > max_bytes:
            raise ImportRefused(_too_big(location, max_bytes))
        yield chunk


def _too_big(location: str, max_bytes: int) -> str:
    return f"{location} 超过 {max_bytes} 字节的上限（--max-bytes），未导入任何内容"


def parse(raw: bytes) -> tuple[Release, ...]:
    """The releases of a release package or of JSON Lines, each checked against the schema."""
    releases = list(_releases(raw))
    validator = _validator()
    seen: set[tuple[str, str]] = set()
    out = []
    for where, value in releases:
        name = _name(where, value)
        error = next(iter(validator.iter_errors(value)), None)
        if error is not None:
            path = "/".join(str(p) for p in error.instance_path) or "(整个发布)"
            raise ImportRefused(f"{name}不符合 OCDS 1.1.5 发布模式：字段 {path}：{error.message}")
        ocid, release_id, date = value["ocid"], value["id"], value["date"]
        if not OCID.match(ocid) or "\n" in ocid:
            raise ImportRefused(f"{name}的 ocid 不是已注册前缀 ocds-xxxxxx 加编号的形式：字段 ocid")
        if "\n" in release_id or len(release_id) > 256:
            raise ImportRefused(f"{name}的 id 须为一行、不超过 256 个字符：字段 id")
        if (ocid, release_id) in seen:
            raise ImportRefused(f"{name}在文件中重复出现（同一 ocid 与 id）")
        seen.add((ocid, release_id))
        text = orjson.dumps(value).decode()
        if len(text) > MAX_STRING:
            raise ImportRefused(
                f"{name}长 {len(text)} 个字符，超过一条记录可载的 {MAX_STRING} 个字符"
            )
        out.append(Release(ocid, release_id, date, text, release_digest(text)))
    if not out:
        raise ImportRefused("文件中没有任何发布（releases 为空）")
    return tuple(out)


def check_prefixes(
    releases: Sequence[Release], ours: str, expected: str | None = None
) -> None:
    """Another publisher's releases only: never our own prefix, and ``expected`` if given."""
    for release in releases:
        prefix = release.ocid[: len("ocds-xxxxxx")]
        name = f"发布 {release.ocid} / {release.id} "
        if prefix == ours:
            raise ImportRefused(
                f"{name}使用本账本自己的 ocid 前缀 {ours}：本账本的发布不能作为外部数据"
                "导入（字段 ocid）"
            )
        if expected is not None and prefix != expected:
            raise ImportRefused(f"{name}的 ocid 前缀不是指定的 {expected}（--prefix；字段 ocid）")


def _releases(raw: bytes) -> Iterator[tuple[str, Any]]:
    """(where in the source, release) for a package, or for each line of JSON Lines."""
    try:
        whole = orjson.loads(raw)
    except orjson.JSONDecodeError as whole_problem:
        lines = raw.split(b"\n")
        if len(lines) < 2 or not _parses(lines[0]):  # not JSON Lines: the file's own error
            raise ImportRefused(_json_error(whole_problem)) from None
        for number, line in enumerate(lines, 1):
            if line.strip():
                yield from _unpack(_line(line, number), f"第 {number} 行")
        return
    yield from _unpack(whole, "")


def _parses(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _line(line: bytes, number: int) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as problem:
        raise ImportRefused(
            f"第 {number} 行不是合法的 JSON：第 {problem.colno} 列，{problem.msg}"
        ) from None


def _json_error(problem: orjson.JSONDecodeError) -> str:
    return f"文件不是合法的 JSON：第 {problem.lineno} 行第 {problem.colno} 列，{problem.msg}"


def _unpack(value: Any, where: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and "releases" in value:
        releases = value["releases"]
        if not isinstance(releases, list):
            raise ImportRefused(f"{where}发布包的 releases 不是数组（字段 releases）")
        for n, release in enumerate(releases):
            yield f"{where}releases/{n}", release
    elif isinstance(value, dict) and "ocid" in value:
        yield where, value  # a line holding one release
    else:
        raise ImportRefused(f"{where or '文件'}既不是 OCDS 发布包，也不是一个发布")


def _name(where: str, value: Any) -> str:
    """How a message names a release: its ocid and id where it has them, and where it is."""
    if isinstance(value, dict):
        ocid, release_id = value.get("ocid"), value.get("id")
        if isinstance(ocid, str) and isinstance(release_id, str):
            return f"发布 {ocid[:100]} / {release_id[:100]}（{where or '文件'}）"
    return f"发布（{where or '文件'}）"


_VALIDATOR: list[Any] = []


def _validator() -> Any:
    if not _VALIDATOR:
        schema = orjson.loads(files("ledger.ocds").joinpath("schema", SCHEMA_FILE).read_bytes())
        _VALIDATOR.append(jsonschema_rs.validator_for(schema))
    return _VALIDATOR[0]
