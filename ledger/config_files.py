"""Operators' TOML files checked by pydantic models, with errors that name the file and line.

A file's shape is a model (``ConfigModel``): unknown tables and keys are refused, and values
are not converted (TOML has its own types: a string is not a number). Each field's
``description`` says what its value must be; a mistake is reported as
``file:line: [table] key: <description>`` (``{input}`` in a description is the value
given), the line found in the text from the error's location (``TomlLocator``). A rule
across fields raises ``refuse`` from a validator, naming the field it blames.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

from ledger.domain.toml_text import ConfigFileError, TomlLocator, parse_toml

Loc = tuple[str | int, ...]
Model = TypeVar("Model", bound=BaseModel)

#: Error types that say a table was expected.
_NOT_A_TABLE: Final = ("model_type", "model_attributes_type", "dict_type")


class ConfigModel(BaseModel):
    """A table of a configuration file."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


@dataclass(frozen=True)
class TomlFile:
    """A TOML file as read: where it came from, its text (for lines) and its data."""

    source: str
    text: str
    data: dict[str, Any]

    @classmethod
    def parse(cls, text: str, source: str, error: type[ConfigFileError]) -> TomlFile:
        return cls(source, text, parse_toml(text, source, error))

    @classmethod
    def read(cls, path: Path, error: type[ConfigFileError], what: str) -> TomlFile:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise error(str(path), None, f"cannot read {what}: {exc}") from exc
        return cls.parse(text, str(path), error)


def refuse(loc: Loc, message: str) -> ValidationError:
    """For a validator to raise: ``message`` about the field at ``loc`` of its model."""
    detail = InitErrorDetails(type=PydanticCustomError("config", message), loc=loc, input=None)
    return ValidationError.from_exception_data("config", [detail])


def checked(
    model: type[Model], data: Mapping[str, Any], error: type[ConfigFileError],
    file: TomlFile | Callable[[Loc], TomlFile], context: Mapping[str, Any] | None = None,
) -> Model:  # fmt: skip
    """``data`` as ``model``, or ``error`` naming the file (``file``, or the one
    ``file(loc)`` says the value at ``loc`` came from), the line and the field. Of several
    mistakes the first is reported: an unknown key (a typo explains a missing one), then a
    bad value, then a missing key, each in the order of the file."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        found = []
        for err in exc.errors(include_url=False):
            rank, loc, value, message = _problem(model, err, data)
            source = file(loc) if callable(file) else file
            line = TomlLocator(source.text).locate(loc, value)
            found.append((rank, line if line is not None else 1 << 30, source, line, message))
        _, _, source, line, message = min(found, key=lambda f: (f[0], f[1]))
        # Not chained: the validation error holds the values given, secrets among them.
        raise error(source.source, line, message) from None


def _problem(
    model: type[BaseModel], err: ErrorDetails, data: Mapping[str, Any]
) -> tuple[int, Loc, str | None, str]:
    """(rank, where, the value if an array item, the message) of one validation error."""
    loc: Loc = tuple(err["loc"])
    kind = err["type"]
    key_error = loc[-1:] == ("[key]",)
    place = loc[:-1] if key_error else loc
    if kind == "missing":
        at = place[:-1]
        label, rest = _label(model, at, data)
        head = f"{label} {rest}" if rest else label
        return 2, at, None, f"{head}: {place[-1]} is missing" if at else f"[{place[0]}]: missing"
    label, rest = _label(model, place, data)
    if kind == "extra_forbidden":
        _, parent = _walk(model, place[:-1])
        if len(place) == 1:
            message = f"unknown table (expected {_tables(model)})"
        elif isinstance(parent, type) and issubclass(parent, BaseModel):
            message = f"unknown key (expected one of {', '.join(parent.model_fields)})"
        else:
            message = "unknown key"
    elif kind in _NOT_A_TABLE:
        message = "must be a table"
    elif kind == "config":
        message = err["msg"]
    else:
        infos, _ = _walk(model, place, key=key_error)
        described = [i.description for i in infos if i.description]
        shown = repr(err.get("input"))[:80]
        message = described[-1].replace("{input}", shown) if described else err["msg"]
    given = err.get("input")
    item = given if place and isinstance(place[-1], int) and isinstance(given, str) else None
    head = f"{label} {rest}" if rest else label
    return (0 if kind == "extra_forbidden" else 1), place, item, f"{head}: {message}"


def _label(model: type[BaseModel], at: Loc, data: Mapping[str, Any]) -> tuple[str, str]:
    """``[table]`` or ``[[array]] <name>`` (else ``#<n>``), and the dotted key below it."""
    if not at:
        return "", ""
    top = str(at[0])
    field = model.model_fields.get(top)
    array = field is not None and get_origin(_unwrap(field.annotation)[0]) is list
    if array and len(at) > 1 and isinstance(at[1], int):
        items = data.get(top)
        item = items[at[1]] if isinstance(items, list) and at[1] < len(items) else None
        name = item.get("name") if isinstance(item, dict) else None
        label = f"[[{top}]] {name}" if isinstance(name, str) else f"[[{top}]] #{at[1] + 1}"
        return label, _dotted(at[2:])
    return (f"[[{top}]]" if array else f"[{top}]"), _dotted(at[1:])


def _dotted(parts: Loc) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _tables(model: type[BaseModel]) -> str:
    names = [
        f"[[{name}]]" if get_origin(_unwrap(f.annotation)[0]) is list else f"[{name}]"
        for name, f in model.model_fields.items()
    ]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _unwrap(tp: Any) -> tuple[Any, list[FieldInfo]]:
    """The type under ``Annotated[…]`` and ``… | None``, and the fields' infos met on the way."""
    infos: list[FieldInfo] = []
    while True:
        if get_origin(tp) is Annotated:
            args = get_args(tp)
            tp = args[0]
            infos += [a for a in args[1:] if isinstance(a, FieldInfo)]
        elif get_origin(tp) in (types.UnionType, typing.Union):
            others = [a for a in get_args(tp) if a is not type(None)]
            if len(others) != 1:
                return tp, infos
            tp = others[0]
        else:
            return tp, infos


def _walk(model: type[BaseModel], loc: Loc, key: bool = False) -> tuple[list[FieldInfo], Any]:
    """The fields' infos along ``loc`` and the type found there (None when it leaves the
    model); with ``key``, the last step is a key of a table, not its value."""
    tp: Any = model
    infos: list[FieldInfo] = []
    for index, part in enumerate(loc):
        tp, met = _unwrap(tp)
        infos += met
        origin = get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
            field = tp.model_fields.get(part)
            if field is None:
                return infos, None
            infos.append(field)
            tp = field.annotation
        elif origin in (list, tuple, set, frozenset) and isinstance(part, int):
            tp = get_args(tp)[0]
        elif origin is dict:
            tp = get_args(tp)[0 if key and index == len(loc) - 1 else 1]
        else:
            return infos, None
    tp, met = _unwrap(tp)
    return infos + met, tp
