"""Reading a command payload field by field, with errors that name the field."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from ledger.domain.errors import Invalid

CODE = re.compile(r"[a-z0-9][a-z0-9-]{1,62}[a-z0-9]\Z")
E = TypeVar("E", bound=StrEnum)


def only(payload: Mapping[str, Any], allowed: Iterable[str], where: str = "payload") -> None:
    unknown = sorted(set(payload) - set(allowed))
    if unknown:
        raise Invalid(f"{where}: unknown field {unknown[0]!r}")


def text(payload: Mapping[str, Any], name: str, *, limit: int = 200, required: bool = True) -> str:
    value = payload.get(name)
    if value is None:
        if required:
            raise Invalid(f"payload.{name} is required")
        return ""
    if not isinstance(value, str):
        raise Invalid(f"payload.{name} must be a string")
    stripped = value.strip()
    if required and not stripped:
        raise Invalid(f"payload.{name} must not be empty")
    if len(value) > limit:
        raise Invalid(f"payload.{name} is longer than {limit} characters")
    if "\n" in value or "\t" in value:
        raise Invalid(f"payload.{name} must be a single line")
    return value


def code(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not CODE.match(value):
        raise Invalid(
            f"payload.{name} must be 3–64 characters of lower-case letters, digits and '-'"
        )
    return value


def choice(payload: Mapping[str, Any], name: str, enum: type[E]) -> E:
    return member(payload.get(name), f"payload.{name}", enum)


def member(value: object, field: str, enum: type[E]) -> E:
    """`value` as a member of `enum`, or Invalid naming `field` and the allowed values."""
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    allowed = ", ".join(e.value for e in enum)
    raise Invalid(f"{field} must be one of: {allowed}")
