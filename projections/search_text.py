"""How a notice's text is indexed for search on SQLite: overlapping character pairs (bigrams).

Chinese has no spaces between words, so a query is matched as a substring. FTS5's trigram
tokenizer cannot look up fewer than three characters; here every character of a field
starts one token, the pair it forms with the next character (the field's last character
pairs with an end mark). A query of n ≥ 2 characters is then the FTS5 phrase of its n-1
pairs, which matches exactly where the query occurs as a substring (the pairs of a substring
are consecutive tokens); a 1-character query is the prefix of the pairs it starts. Several
words separated by spaces must all occur (AND). Each pair is written as the hexadecimal code
points of its two characters (``4ebax6c11`` for 人民), so the stock ``unicode61`` tokenizer
keeps it one token whatever the characters are (punctuation, ``%``, quotes), and FTS5 syntax
in a query never reaches the index as syntax.

The table's rowid is the notice's sort key, its publication day then its leaf index, so
reading matches by rowid descending gives them newest first without sorting them, and a date
filter is a rowid range. The filters a page offers (type, category, method, purchaser,
region) are tokens of a third column, so a filtered search is answered by the index alone.

PostgreSQL keeps a narrow table of its own (``pub_search``: the same sort key, the filters as
columns, the title and text lower-cased) with a GIN index of each text's characters and
pairs, which narrows a query of any length; LIKE then checks each word as written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from itertools import pairwise
from typing import Final

_END: Final = "\x00"  # closes each field: a domain text never holds a control character
_LEAF_BITS: Final = 32  # leaf indexes below 2**32; days since year 1 above them
FACETS: Final = ("type", "category", "method", "purchaser", "region")


def _pair(a: str, b: str) -> str:
    return f"{ord(a):x}x{ord(b):x}"


_KEPT: Final = 65_536


class _Codes(dict[str, str]):
    """Each character's code point in hexadecimal, written once: a rebuild indexes some
    fifty million characters of a province's notices, drawn from a few thousand. At most
    ``_KEPT`` are kept, whatever characters a text brings."""

    def __missing__(self, char: str) -> str:
        code = f"{ord(char):x}"
        if len(self) < _KEPT:
            self[char] = code
        return code


_CODES: Final = _Codes()


def tokens(fields: Iterable[str]) -> str:
    """The pairs of each field, lower-cased (ASCII letters match in either case)."""
    out: list[str] = []
    code = _CODES.__getitem__
    for field in fields:
        # Each character's code point once, then joined in pairs (as ``_pair`` writes them).
        out.extend(map("x".join, pairwise(map(code, field.lower() + _END))))
    return " ".join(out)


def text(fields: Iterable[str]) -> str:
    """PostgreSQL: the fields lower-cased, joined by spaces (``pub_search.body``)."""
    return " ".join(field.lower() for field in fields)


def pieces(fields: Iterable[str]) -> list[str]:
    """PostgreSQL: every character and every pair of neighbouring characters of the fields,
    lower-cased, once each: what the GIN index of ``pub_pieces(body)`` holds of a notice, but
    the pairs that span two fields (positions are not kept: the LIKE that follows the index
    checks the words occur as written)."""
    found: set[str] = set()
    for field in fields:
        text = field.lower()
        found.update(text)
        found.update(a + b for a, b in pairwise(text))
    found.discard(" ")
    return sorted(found)


def pieces_of(word: str) -> list[str]:
    """The pieces a notice holds if ``word`` occurs in it: the character, or its pairs."""
    if len(word) == 1:
        return [word]
    return sorted({a + b for a, b in pairwise(word)})


def words(query: str) -> list[str]:
    """The query's words (split at spaces), lower-cased, each once, in order."""
    return list(dict.fromkeys(query.lower().split()))


def _word(word: str) -> str:
    if len(word) == 1:
        return f"{ord(word):x}x*"  # every pair the character starts
    return '"' + " ".join(_pair(a, b) for a, b in pairwise(word)) + '"'


def match(query: str) -> str:
    """The FTS5 expression for every word of ``query`` (its text, not its syntax)."""
    return " AND ".join(_word(w) for w in words(query))


def facet(name: str, value: str) -> str:
    """One filter's value as a token of the facets column: its name's initial and its UTF-8
    bytes in hexadecimal (codes and names hold hyphens and Chinese)."""
    return name[0] + value.encode().hex()


def terms(values: Mapping[str, str]) -> list[str]:
    """PostgreSQL: the filters' values as elements of the indexed array (``pub_facets``):
    the name's initial, a colon and the value; three characters or more, so never a piece."""
    return [f"{n[0]}:{values[n]}" for n in FACETS if n in values]


def indexed(column: str) -> str:
    """PostgreSQL: the expression a GIN index of ``pub_search`` holds for the pieces of
    ``column`` (``title`` or ``body``) and the filters' terms, as a query must name it."""
    return (f"pub_pieces(s.{column}) || "
            "pub_facets(s.type, s.category, s.method, s.purchaser, s.region)")


def facets(values: Mapping[str, str]) -> str:
    return " ".join(facet(n, values[n]) for n in FACETS)


def sort_key(day: date, leaf_index: int) -> int:
    """The rowid that orders notices as the pages do: newest day first, then newest leaf."""
    return (day.toordinal() << _LEAF_BITS) | leaf_index


def day_range(date_from: str | None, date_to: str | None) -> tuple[int, int]:
    """The rowids [low, high) of the notices published within the dates (inclusive)."""
    low = date.fromisoformat(date_from).toordinal() << _LEAF_BITS if date_from else 0
    high = (date.fromisoformat(date_to).toordinal() + 1) << _LEAF_BITS if date_to else 1 << 62
    return low, high


def leaf_of(key: int) -> int:
    return key & ((1 << _LEAF_BITS) - 1)
