"""TOML files people write: parsing them, and finding the line a problem is on.

``tomllib`` gives data without positions, so ``TomlLocator`` finds lines by reading the text
the way TOML is written: table headers (``[a]``, ``[a.b]``, ``[[a]]`` counted in order), then
``key =`` (or a dotted ``key.sub =``) inside the table. It is best effort and never fails: a
key it cannot find is reported at its table's header, a table it cannot find at no line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: A place in the parsed data: table and key names, and indices of arrays.
Path = Sequence[str | int]


class ConfigFileError(ValueError):
    """A malformed operator or packaged data file; ``line`` is 1-based when known."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")
        self.source = source
        self.line = line
        self.detail = message


_HEADER = re.compile(r"^\s*(\[\[?)\s*(.*?)\s*(\]\]?)\s*(?:#.*)?$")


@dataclass(frozen=True)
class Section:
    name: str
    array: bool
    start: int  # 0-based index of the header line
    end: int  # index one past the section's last line
    path: tuple[str | int, ...]  # where its keys land: ("a", "b") or ("a", <nth [[a]]>)


class TomlLocator:
    """Finds the line of a table, key or value in a TOML text (best effort, never fails)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        heads: list[tuple[str, bool, int]] = []
        for i, line in enumerate(self.lines):
            m = _HEADER.match(line)
            if m and (m.group(1) == "[[") == (m.group(3) == "]]"):
                heads.append((m.group(2).strip().strip("\"'"), m.group(1) == "[[", i))
        ends = [i for _, _, i in heads[1:]] + [len(self.lines)] if heads else []
        seen: dict[str, int] = {}
        self.sections: list[Section] = []
        for (name, array, start), end in zip(heads, ends, strict=True):
            path: tuple[str | int, ...] = tuple(p.strip().strip("\"'") for p in name.split("."))
            if array:
                path += (seen.get(name, 0),)
                seen[name] = seen.get(name, 0) + 1
            self.sections.append(Section(name, array, start, end, path))

    def section(self, name: str, index: int = 0) -> Section | None:
        found = [s for s in self.sections if s.name == name]
        return found[index] if index < len(found) else None

    def key_line(self, section: Section | None, key: str) -> int | None:
        if section is None:
            return None
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[=.]")
        for i in range(section.start + 1, section.end):
            if pattern.match(self.lines[i]):
                return i + 1
        return section.start + 1

    def value_line(self, section: Section | None, key: str, needle: str) -> int | None:
        first = self.key_line(section, key)
        if section is None or first is None:
            return first
        for i in range(first - 1, section.end):
            if needle in self.lines[i]:
                return i + 1
        return first

    def header_line(self, section: Section | None) -> int | None:
        return None if section is None else section.start + 1

    def top_line(self, key: str) -> int | None:
        """The line of a top-level table ``[key]``, or else of a top-level ``key = …``."""
        section = self.section(key)
        if section is not None:
            return section.start + 1
        first = self.sections[0].start if self.sections else len(self.lines)
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[=.]")
        for i in range(first):
            if pattern.match(self.lines[i]):
                return i + 1
        return None

    def locate(self, path: Path, value: str | None = None) -> int | None:
        """The line of the table, key or array item at ``path`` (``("destination", 2,
        "url")``): the header of the deepest table on it, then the key's line in that table;
        for an item of an array written over several lines, the line holding ``value``."""
        if not path:
            return None
        tables = [s for s in self.sections if tuple(path[: len(s.path)]) == s.path]
        if not tables:  # a key at the top, or a table written as one (``a = { … }``)
            if any(s.path[0] == path[0] for s in self.sections):
                return None  # e.g. a [[table]] past the last one written
            return self.top_line(str(path[0]))
        table = max(tables, key=lambda s: len(s.path))
        rest = path[len(table.path) :]
        if not rest or not isinstance(rest[0], str):
            return self.header_line(table)
        if value is not None and isinstance(rest[-1], int):
            return self.value_line(table, rest[0], value)
        return self.key_line(table, rest[0])


def parse_toml(text: str, source: str, error: type[ConfigFileError]) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"at line (\d+)", str(exc))
        if m:
            line: int | None = int(m.group(1))
        elif "end of document" in str(exc):
            line = max(1, len(text.splitlines()))
        else:
            line = None
        raise error(source, line, f"malformed TOML: {exc}") from exc
