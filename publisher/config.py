"""Destinations as configuration: a TOML file read once at start-up.

::

    [publisher]                      # optional
    ocid_prefix = "ocds-qhx000"      # OCDS releases: ocid = "<prefix>-<procurement>"
    poll_interval = "1s"             # idle workers look for due jobs at least this often

    [defaults]                       # optional: any destination key below but name/url/secret
    timeout = "10s"

    [[destination]]
    name = "ccgp-hebei"              # 3–64 of a-z 0-9 '-'; the name receipts carry
    url = "https://www.ccgp-hebei.gov.cn/api/notices"
    format = "notice"                # or "ocds"
    announcements = ["tender", "result"]   # default: every announcement type
    regions = ["清河县"]              # default: every region
    required = true                  # a website the law requires (late delivery: a finding)
    secret_env = "CCGP_HEBEI_SECRET" # or secret = "whsec_…": adds a v1 HMAC signature
    rate_limit = 5                   # requests per second (0: no limit)

Durations are seconds or strings like "500ms", "30s", "10m", "6h", "3d". A malformed file
raises ``DestinationFileError`` whose message starts ``file:line:``; a URL whose host is
private, loopback, link-local, multicast or reserved (or does not resolve) is refused
unless that destination sets ``allow_private = true``.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from ledger.domain.calendars import ConfigFileError, _Locator, _parse_toml
from ledger.domain.vocabulary import AnnouncementType
from publisher.guard import AddressRefused, check_host

NAME: Final = re.compile(r"[a-z0-9][a-z0-9-]{1,62}[a-z0-9]\Z")
OCID_PREFIX: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}\Z")
FORMATS: Final = ("notice", "ocds")
_DURATION: Final = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\Z")
_UNITS: Final = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class DestinationFileError(ConfigFileError):
    """A malformed destinations file."""


@dataclass(frozen=True)
class Tuning:
    """How one destination is driven: timeouts, pacing, retries, circuit breaking."""

    timeout: float = 10.0
    rate_limit: float = 0.0  # requests per second; 0: unlimited
    max_in_flight: int = 2  # requests at once to this site, so a slow site holds few workers
    # Notices one worker sends in a row under one claim while the site answers 2xx: their
    # claim, receipts and completion then cost one transaction each, not one per notice.
    batch: int = 16
    max_response_bytes: int = 64 * 1024  # read at most this much of an answer
    retry_base: float = 30.0  # first backoff ceiling; doubles per attempt (full jitter)
    retry_cap: float = 6 * 3600.0
    give_up_after: float = 3 * 86400.0  # then the job is dead-lettered
    max_attempts: int = 0  # 0: only give_up_after limits the retries
    retry_after_max: float = 3600.0  # a Retry-After longer than this is shortened
    circuit_failures: int = 5  # consecutive failures that open the circuit
    circuit_cooldown: float = 60.0
    required: bool = False
    format: str = "notice"


_SECONDS: Final = ("timeout", "retry_base", "retry_cap", "give_up_after", "retry_after_max",
                   "circuit_cooldown")  # fmt: skip
_COUNTS: Final = {"max_in_flight": 1, "batch": 1, "max_response_bytes": 1, "max_attempts": 0,
                  "circuit_failures": 1}  # fmt: skip
TUNING_KEYS: Final = (*_SECONDS, *_COUNTS, "rate_limit", "required", "format")
DESTINATION_KEYS: Final = (
    "name", "url", "announcements", "regions", "secret", "secret_env", "allow_private",
    *TUNING_KEYS,
)  # fmt: skip
PUBLISHER_KEYS: Final = ("ocid_prefix", "poll_interval", "lease_margin", "receipt_retry")


@dataclass(frozen=True)
class Destination:
    name: str
    url: str
    tuning: Tuning = field(default_factory=Tuning)
    announcements: frozenset[str] | None = None  # None: every type
    regions: frozenset[str] | None = None  # None: every region
    secret: str | None = field(default=None, repr=False)  # whsec_…: sign v1 (HMAC) as well
    allow_private: bool = False
    line: int | None = None

    def wants(self, announcement: str, region: str) -> bool:
        return (self.announcements is None or announcement in self.announcements) and (
            self.regions is None or region in self.regions
        )


@dataclass(frozen=True)
class PublisherConfig:
    destinations: tuple[Destination, ...]
    ocid_prefix: str = "ocds-sunshine"
    poll_interval: float = 1.0
    lease_margin: float = 30.0  # a claim's lease: the destination's timeout plus this
    receipt_retry: float = 30.0  # a receipt the ledger did not take is tried again after this
    source: str = "<destinations>"

    def destination(self, name: str) -> Destination | None:
        return next((d for d in self.destinations if d.name == name), None)


def duration(value: object) -> float | None:
    """Seconds from a number or a string like "30s", "6h", "3d"; None when malformed."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        m = _DURATION.match(value.strip())
        if m:
            return float(m.group(1)) * _UNITS[m.group(2)]
    return None


class _Reader:
    """Reads one table of the file, raising errors that name the line."""

    def __init__(self, source: str, where: _Locator, table: str, index: int | None,
                 label: str) -> None:  # fmt: skip
        self.source = source
        self.where = where
        self.section = where.section(table, index or 0)
        self.label = label

    def fail(self, key: str | None, message: str) -> DestinationFileError:
        line = (
            self.where.key_line(self.section, key)
            if key is not None
            else self.where.header_line(self.section)
        )
        return DestinationFileError(self.source, line, f"{self.label}{message}")

    def keys(self, entry: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        for key in entry:
            if key not in allowed:
                raise self.fail(key, f" {key}: unknown key (expected one of {', '.join(allowed)})")

    def seconds(self, entry: Mapping[str, Any], key: str, positive: bool = True) -> float | None:
        if key not in entry:
            return None
        value = duration(entry[key])
        if value is None or value < 0 or (positive and value == 0):
            raise self.fail(key, f' {key}: must be a duration like 10, "500ms", "30s" or "3d"')
        return value

    def count(self, entry: Mapping[str, Any], key: str, low: int) -> int | None:
        if key not in entry:
            return None
        value = entry[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.fail(key, f" {key}: must be a whole number ≥ {low}")
        return value

    def flag(self, entry: Mapping[str, Any], key: str) -> bool | None:
        if key not in entry:
            return None
        if not isinstance(entry[key], bool):
            raise self.fail(key, f" {key}: must be true or false")
        return bool(entry[key])

    def text(self, entry: Mapping[str, Any], key: str) -> str | None:
        if key not in entry:
            return None
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise self.fail(key, f" {key}: must be a non-empty string")
        return str(entry[key])

    def words(self, entry: Mapping[str, Any], key: str) -> frozenset[str] | None:
        if key not in entry:
            return None
        value = entry[key]
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v for v in value)
        ):
            raise self.fail(key, f" {key}: must be a non-empty list of strings")
        return frozenset(value)

    def tuning(self, entry: Mapping[str, Any], base: Tuning) -> Tuning:
        changes: dict[str, Any] = {}
        for key in _SECONDS:
            if (seconds := self.seconds(entry, key)) is not None:
                changes[key] = seconds
        for key, low in _COUNTS.items():
            if (number := self.count(entry, key, low)) is not None:
                changes[key] = number
        if "rate_limit" in entry:
            rate = entry["rate_limit"]
            if isinstance(rate, bool) or not isinstance(rate, int | float) or rate < 0:
                raise self.fail("rate_limit", " rate_limit: must be requests per second, ≥ 0")
            changes["rate_limit"] = float(rate)
        if (required := self.flag(entry, "required")) is not None:
            changes["required"] = required
        if "format" in entry:
            if entry["format"] not in FORMATS:
                raise self.fail("format", f" format: must be one of {', '.join(FORMATS)}")
            changes["format"] = entry["format"]
        tuning = replace(base, **changes)
        if tuning.retry_cap < tuning.retry_base:
            raise self.fail("retry_cap", " retry_cap: must not be shorter than retry_base")
        return tuning


def parse_destinations(
    text: str, source: str = "<destinations>", check_addresses: bool = True
) -> PublisherConfig:
    """The publisher's configuration from the TOML ``text``."""
    data = _parse_toml(text, source, DestinationFileError)
    # _Locator needs a table header to exist; a sentinel past the end keeps the line numbers.
    where = _Locator(text + "\n[end-of-file]\n")
    for key in data:
        if key not in ("publisher", "defaults", "destination"):
            raise DestinationFileError(
                source, where.top_line(key),
                f"{key}: unknown table (expected [publisher], [defaults] or [[destination]])",
            )  # fmt: skip
    settings: dict[str, Any] = {}
    publisher = data.get("publisher", {})
    top = _Reader(source, where, "publisher", None, "[publisher]")
    if not isinstance(publisher, dict):
        raise top.fail(None, ": must be a table")
    top.keys(publisher, PUBLISHER_KEYS)
    if (prefix := top.text(publisher, "ocid_prefix")) is not None:
        if not OCID_PREFIX.match(prefix):
            raise top.fail("ocid_prefix", " ocid_prefix: letters, digits and '-', like ocds-a1b2c3")
        settings["ocid_prefix"] = prefix
    for key in ("poll_interval", "lease_margin", "receipt_retry"):
        if (seconds := top.seconds(publisher, key)) is not None:
            settings[key] = seconds
    defaults = data.get("defaults", {})
    shared = _Reader(source, where, "defaults", None, "[defaults]")
    if not isinstance(defaults, dict):
        raise shared.fail(None, ": must be a table")
    shared.keys(defaults, TUNING_KEYS)
    base = shared.tuning(defaults, Tuning())
    entries = data.get("destination", [])
    if not isinstance(entries, list) or not entries:
        raise DestinationFileError(
            source, None, "no destination: add at least one [[destination]] table"
        )
    destinations: list[Destination] = []
    for index, entry in enumerate(entries):
        destination = _destination(source, where, index, entry, base, check_addresses)
        if any(d.name == destination.name for d in destinations):
            raise DestinationFileError(
                source, destination.line, f"[[destination]] {destination.name}: named twice"
            )
        destinations.append(destination)
    return PublisherConfig(tuple(destinations), source=source, **settings)


def _destination(
    source: str, where: _Locator, index: int, entry: object, base: Tuning, check: bool
) -> Destination:
    label = f"[[destination]] #{index + 1}"
    reader = _Reader(source, where, "destination", index, label)
    if not isinstance(entry, dict):
        raise reader.fail(None, ": must be a table")
    name = entry.get("name")
    if isinstance(name, str):
        reader.label = f"[[destination]] {name}"
    reader.keys(entry, DESTINATION_KEYS)
    if name is None:
        raise reader.fail(None, ": name is missing")
    if not isinstance(name, str) or not NAME.match(name):
        raise reader.fail("name", " name: must be 3–64 characters of a-z, 0-9 and '-'")
    url = reader.text(entry, "url")
    if url is None:
        raise reader.fail(None, ": url is missing")
    host, port = _url_parts(reader, url)
    announcements = reader.words(entry, "announcements")
    known = {a.value for a in AnnouncementType}
    for announcement in sorted(announcements or ()):
        if announcement not in known:
            raise reader.fail(
                "announcements",
                f" announcements: {announcement!r} is not an announcement type "
                f"(one of {', '.join(sorted(known))})",
            )
    allow_private = bool(reader.flag(entry, "allow_private"))
    destination = Destination(
        name=name,
        url=url,
        tuning=reader.tuning(entry, base),
        announcements=announcements,
        regions=reader.words(entry, "regions"),
        secret=_secret(reader, entry),
        allow_private=allow_private,
        line=where.header_line(reader.section),
    )
    if check and not allow_private:
        try:
            check_host(host, port)
        except AddressRefused as exc:
            raise reader.fail("url", f" url: {exc}") from None
    return destination


def _url_parts(reader: _Reader, url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise reader.fail("url", " url: must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise reader.fail("url", " url: must not carry a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise reader.fail("url", " url: the port is not a number from 1 to 65535") from None
    return parts.hostname, port


def _secret(reader: _Reader, entry: Mapping[str, Any]) -> str | None:
    """A Standard Webhooks secret, ``whsec_`` + base64 of 24–64 random bytes."""
    secret = reader.text(entry, "secret")
    variable = reader.text(entry, "secret_env")
    key = "secret"
    if secret is not None and variable is not None:
        raise reader.fail("secret_env", " secret_env: give either secret or secret_env")
    if variable is not None:
        key = "secret_env"
        secret = os.environ.get(variable)
        if not secret:
            raise reader.fail("secret_env", f" secret_env: the variable {variable} is not set")
    if secret is None:
        return None
    raw = secret.removeprefix("whsec_")
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if not secret.startswith("whsec_") or not 24 <= len(decoded) <= 64:
        raise reader.fail(key, f" {key}: must be whsec_ followed by base64 of 24–64 bytes")
    return secret


def load_destinations(path: Path, check_addresses: bool = True) -> PublisherConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DestinationFileError(
            str(path), None, f"cannot read destinations file: {exc}"
        ) from exc
    return parse_destinations(text, str(path), check_addresses)
