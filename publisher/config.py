"""Destinations as configuration: a TOML file read once at start-up.

::

    [publisher]                      # optional
    ocid_prefix = "ocds-qhx000"      # OCDS releases: ocid = "<prefix>-<procurement>"
    poll_interval = "1s"             # idle workers look for due jobs at least this often

    [defaults]                       # optional: any destination key below but name/url/secret
    timeout = "10s"

    [[destination]]
    name = "ccgp-yunling"            # 3–64 of a-z 0-9 '-'; the name receipts carry
    title = "云岭省政府采购网"          # optional: the name pages show (receipts carry it too)
    url = "https://www.ccgp-yunling.example/api/notices"
    format = "notice"                # or "ocds"
    announcements = ["tender", "result"]   # default: every announcement type
    regions = ["澄溪县"]              # default: every region
    required = true                  # a website the law requires (late delivery: a finding)
    secret_env = "CCGP_YUNLING_SECRET" # or secret = "whsec_…": adds a v1 HMAC signature
    rate_limit = 5                   # requests per second (0: no limit)

Durations are seconds or strings like "500ms", "30s", "10m", "6h", "3d". The file's shape is
``DestinationsFile`` (pydantic models: unknown keys refused, no silent conversion); a
malformed file raises ``DestinationFileError`` whose message starts ``file:line:`` and names
the table and key. A URL whose host is private, loopback, link-local, multicast or reserved
(or does not resolve) is refused unless that destination sets ``allow_private = true``.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    Strict,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ledger.config_files import ConfigModel, TomlFile, checked, refuse
from ledger.domain.toml_text import ConfigFileError, TomlLocator
from ledger.domain.vocabulary import AnnouncementType
from ledger.ocds.release import DEFAULT_OCID_PREFIX, OCID_PREFIX
from publisher.guard import AddressRefused, check_host

NAME: Final = r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"
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
    title: str | None = None  # the website's display name 网站名称

    def wants(self, announcement: str, region: str) -> bool:
        return (self.announcements is None or announcement in self.announcements) and (
            self.regions is None or region in self.regions
        )


@dataclass(frozen=True)
class PublisherConfig:
    destinations: tuple[Destination, ...]
    ocid_prefix: str = DEFAULT_OCID_PREFIX
    #: A text every pushed notice carries, for a ledger that is not the record of a real
    #: body: the demo's 演示数据，纯属虚构.
    marker: str | None = None
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


# -- the file's shape -------------------------------------------------------------------------

_WHSEC: Final = "must be whsec_ followed by base64 of 24–64 bytes"
_HTTP_URL: Final = "must be an http:// or https:// URL with a host"


def _seconds(value: object) -> object:
    seconds = duration(value)
    if seconds is None:
        raise ValueError("not a duration")
    return seconds


def _http_url(url: str) -> str:
    """An http(s) URL with a host and no credentials. Read with ``urlsplit``, as the
    connection will be, so the host checked here is the host connected to."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PydanticCustomError("config", _HTTP_URL)
    if parts.username or parts.password:
        raise PydanticCustomError("config", "must not carry a user name or password")
    try:
        _host_and_port(url)
    except ValueError:  # a port that is not 1 to 65535
        raise PydanticCustomError("config", "the port is not a number from 1 to 65535") from None
    return url


def _host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def _whsec(secret: str) -> str:
    """A Standard Webhooks secret, ``whsec_`` + base64 of 24–64 random bytes."""
    try:
        decoded = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if not secret.startswith("whsec_") or not 24 <= len(decoded) <= 64:
        raise PydanticCustomError("config", _WHSEC)
    return secret


Seconds = Annotated[float, BeforeValidator(_seconds), Field(
    gt=0, allow_inf_nan=False, description='must be a duration like 10, "500ms", "30s" or "3d"'
)]  # fmt: skip
Text = Annotated[str, Field(pattern=r"\S", description="must be a non-empty string")]
Words = Annotated[list[Annotated[str, Field(min_length=1)]], Field(
    min_length=1, description="must be a non-empty list of strings")]  # fmt: skip
_ANNOUNCEMENTS: Final = ", ".join(sorted(a.value for a in AnnouncementType))
Announcement = Annotated[AnnouncementType, Strict(False), Field(
    description=f"{{input}} is not an announcement type (one of {_ANNOUNCEMENTS})")]  # fmt: skip


def _count(low: int) -> Any:
    return Field(default=None, ge=low, description=f"must be a whole number ≥ {low}")


class TuningTable(ConfigModel):
    """[defaults], and what a destination may set for itself; a key left out is inherited."""

    timeout: Seconds | None = None
    retry_base: Seconds | None = None
    retry_cap: Seconds | None = None
    give_up_after: Seconds | None = None
    retry_after_max: Seconds | None = None
    circuit_cooldown: Seconds | None = None
    max_in_flight: int | None = _count(1)
    batch: int | None = _count(1)
    max_response_bytes: int | None = _count(1)
    max_attempts: int | None = _count(0)
    circuit_failures: int | None = _count(1)
    rate_limit: float | None = Field(
        default=None, ge=0, allow_inf_nan=False, description="must be requests per second, ≥ 0"
    )
    required: bool | None = Field(default=None, description="must be true or false")
    format: Literal["notice", "ocds"] | None = Field(
        default=None, description=f"must be one of {', '.join(FORMATS)}"
    )

    def tuning(self, base: Tuning) -> Tuning:
        """``base`` with the keys this table sets."""
        given = {key: getattr(self, key) for key in self.model_fields_set}
        return replace(base, **{k: v for k, v in given.items() if k in TUNING_KEYS})


TUNING_KEYS: Final = tuple(TuningTable.model_fields)


class DestinationTable(TuningTable):
    name: str = Field(pattern=NAME, description="must be 3–64 characters of a-z, 0-9 and '-'")
    title: Annotated[str, Field(pattern=r"^[^\n\t]*\S[^\n\t]*$", max_length=60)] | None = (
        Field(default=None, description="must be one line of at most 60 characters")
    )
    url: Annotated[str, AfterValidator(_http_url)] = Field(description=_HTTP_URL)
    announcements: list[Announcement] | None = Field(
        default=None, min_length=1, description="must be a non-empty list of strings"
    )
    regions: Words | None = None
    secret: Annotated[Text, AfterValidator(_whsec)] | None = Field(
        default=None, repr=False, description=_WHSEC
    )
    secret_env: Text | None = None  # the name of a variable holding the secret
    allow_private: bool = Field(default=False, description="must be true or false")

    @field_validator("secret_env")
    @classmethod
    def _secret_from(cls, variable: str, info: ValidationInfo) -> str:
        if info.data.get("secret") is not None:
            raise PydanticCustomError("config", "give either secret or secret_env")
        secret = os.environ.get(variable)
        if not secret:
            raise PydanticCustomError("config", f"the variable {variable} is not set")
        _whsec(secret)
        return variable

    @model_validator(mode="after")
    def _public_host(self, info: ValidationInfo) -> Self:
        """Unless allowed, a host that is not public (or does not resolve) is refused."""
        if (info.context or {}).get("check_addresses", True) and not self.allow_private:
            try:
                check_host(*_host_and_port(self.url))
            except AddressRefused as exc:
                raise refuse(("url",), str(exc)) from None
        return self

    def destination(self, base: Tuning, line: int | None) -> Destination:
        secret = self.secret
        if self.secret_env is not None:
            secret = os.environ.get(self.secret_env)
        announcements = None
        if self.announcements is not None:
            announcements = frozenset(a.value for a in self.announcements)
        return Destination(
            name=self.name,
            url=self.url,
            title=self.title,
            tuning=self.tuning(base),
            announcements=announcements,
            regions=None if self.regions is None else frozenset(self.regions),
            secret=secret,
            allow_private=self.allow_private,
            line=line,
        )


class PublisherTable(ConfigModel):
    ocid_prefix: str | None = Field(
        default=None,
        pattern=OCID_PREFIX,
        description="'ocds-' and six lower-case letters or digits, like ocds-a1b2c3",
    )
    marker: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="a short text every notice carries, e.g. 演示数据，纯属虚构",
    )
    poll_interval: Seconds | None = None
    lease_margin: Seconds | None = None
    receipt_retry: Seconds | None = None


class DestinationsFile(ConfigModel):
    publisher: PublisherTable = Field(default_factory=PublisherTable)
    defaults: TuningTable = Field(default_factory=TuningTable)
    destination: list[DestinationTable] = Field(
        default_factory=list, description="must be [[destination]] tables"
    )

    @model_validator(mode="after")
    def _whole(self) -> Self:
        if not self.destination:
            raise refuse(("destination",), "no destination: add at least one [[destination]] table")
        base = self.defaults.tuning(Tuning())
        _ordered_retries(base, ("defaults",))
        names: set[str] = set()
        for index, entry in enumerate(self.destination):
            if entry.name in names:
                raise refuse(("destination", index), "named twice")
            names.add(entry.name)
            _ordered_retries(entry.tuning(base), ("destination", index))
        return self


def _ordered_retries(tuning: Tuning, table: tuple[str | int, ...]) -> None:
    if tuning.retry_cap < tuning.retry_base:
        raise refuse((*table, "retry_cap"), "must not be shorter than retry_base")


def parse_destinations(
    text: str, source: str = "<destinations>", check_addresses: bool = True
) -> PublisherConfig:
    """The publisher's configuration from the TOML ``text``."""
    return _config(TomlFile.parse(text, source, DestinationFileError), check_addresses)


def load_destinations(path: Path, check_addresses: bool = True) -> PublisherConfig:
    file = TomlFile.read(path, DestinationFileError, "destinations file")
    return _config(file, check_addresses)


def _config(file: TomlFile, check_addresses: bool) -> PublisherConfig:
    context = {"check_addresses": check_addresses}
    shape = checked(DestinationsFile, file.data, DestinationFileError, file, context)
    base = shape.defaults.tuning(Tuning())
    where = TomlLocator(file.text)
    destinations = tuple(
        entry.destination(base, where.locate(("destination", index)))
        for index, entry in enumerate(shape.destination)
    )
    publisher = {key: getattr(shape.publisher, key) for key in shape.publisher.model_fields_set}
    return PublisherConfig(destinations, source=file.source, **publisher)
