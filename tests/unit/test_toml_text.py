"""Finding the line of a table, key or array item in the TOML text people write."""

from __future__ import annotations

import pytest

from ledger.domain.toml_text import TomlLocator

TEXT = """\
# top
title = "x"
owner.name = "y"

[server]
port = 80
hosts = [
  "a",
  "b",
]

[server.tls]
key = "k"

[[site]]
name = "one"

[[site]]
name = "two"
limits = { rate = 5 }
"""


@pytest.mark.parametrize(
    ("path", "value", "line"),
    [
        (("title",), None, 2),
        (("owner", "name"), None, 3),  # a dotted key at the top
        (("server",), None, 5),
        (("server", "port"), None, 6),
        (("server", "hosts", 1), "b", 9),  # an item of an array over several lines
        (("server", "hosts"), None, 7),
        (("server", "tls", "key"), None, 13),  # a sub-table's own header
        (("server", "missing"), None, 5),  # a key not written: its table's header
        (("site", 0, "name"), None, 16),
        (("site", 1), None, 18),  # the second [[site]]
        (("site", 1, "limits", "rate"), None, 20),  # inside an inline table: its key
        (("site", 2, "name"), None, None),  # no third [[site]]: a table, not found
        (("nowhere",), None, None),
        ((), None, None),
    ],
)
def test_locate(path: tuple[str | int, ...], value: str | None, line: int | None) -> None:
    assert TomlLocator(TEXT).locate(path, value) == line


def test_a_text_without_tables() -> None:
    where = TomlLocator('# only keys\nname = "x"\nlist.item = 1\n')
    assert where.locate(("name",)) == 2 and where.locate(("list", "item")) == 3
    assert TomlLocator("").locate(("name",)) is None
