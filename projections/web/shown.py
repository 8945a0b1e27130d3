"""Values of a log entry as a page shows them, each marked with where it came from.

A notice page shows its entry's values only through ``shown``: the element carries the
value's path in the entry's ``data`` (``data-leaf``) and the name of its format
(``data-format``). The browser's 验证 button (``static/verify.js``) reads both, formats the
verified leaf's value with its own copy of the same formats and compares the texts, so no
shown value escapes the check. The formats' labels are ``static/vocabulary.json``, written
from the vocabulary by ``python -m projections.web.shown`` (a test keeps it current).

Every format is a faithful rendering of one value: a page cannot make a value say something
else by choosing another format, only fail the check.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from markupsafe import Markup

from ledger.domain.committee import MEMBER_ROLES, SELECTIONS
from ledger.domain.schema.kinds import KINDS
from ledger.domain.vocabulary import (
    AnnouncementType,
    CallOffSelection,
    Category,
    Method,
    SmePolicy,
)
from projections.web.formats import (
    announcement_label,
    category_label,
    chinese_date,
    method_label,
    wan,
    yuan,
)

__all__ = [
    "FORMATS", "VOCABULARY", "lookup", "shown", "shown_list", "shown_organisation",
    "vocabulary_json",
]  # fmt: skip


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"a text field holds {type(value).__name__}")
    return value


def _amount(value: object) -> str:
    """¥1,234,567.89（123.46万元）: the amount and the same in 万元."""
    if not isinstance(value, str):
        raise TypeError(f"an amount holds {type(value).__name__}")
    return f"{yuan(value)}（{wan(value)}）"


def _passed(value: object) -> str:
    if not isinstance(value, bool):
        raise TypeError(f"a passed field holds {type(value).__name__}")
    return "合格" if value else "不合格"


def _yes_no(value: object) -> str:
    if not isinstance(value, bool):
        raise TypeError(f"a yes-or-no field holds {type(value).__name__}")
    return "是" if value else "否"


def _percent(value: object) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"a percentage holds {type(value).__name__}")
    return f"{value}%"


def _label(label: Callable[[str | None], str]) -> Callable[[object], str]:
    return lambda value: label(_text(value))


#: Format name → how a value of the entry is written on the page. verify.js has the same.
FORMATS: Final[Mapping[str, Callable[[object], str]]] = {
    "text": _text,
    "date": lambda value: chinese_date(_text(value)),
    "amount": _amount,
    "passed": _passed,
    "yes_no": _yes_no,
    "category": _label(category_label),
    "method": _label(method_label),
    "announcement": _label(announcement_label),
    "member_role": _label(lambda role: MEMBER_ROLES.get(role or "", role or "")),
    "expert_selection": _label(lambda way: SELECTIONS.get(way or "", way or "")),
    "selection": _label(lambda way: CallOffSelection.labels().get(way or "", way or "")),
    "sme_policy": _label(lambda way: SmePolicy.labels().get(way or "", way or "")),
    "percent": _percent,
}

#: The labels the label formats use, as verify.js reads them.
VOCABULARY: Final = {
    "category": Category.labels(),
    "method": Method.labels(),
    "announcement": AnnouncementType.labels(),
    "member_role": dict(MEMBER_ROLES),
    "expert_selection": dict(SELECTIONS),
    "selection": CallOffSelection.labels(),
    "sme_policy": SmePolicy.labels(),
    # what the 验证 message calls the verified entry (its timeline label, never its type)
    "entry": {kind.name: kind.label_zh for kind in KINDS},
}

_MISSING: Final = object()
_INDEX: Final = re.compile(r"0|[1-9][0-9]{0,5}")
_TAGS: Final = frozenset({"span", "h1", "p", "dd", "code"})


def lookup(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` of ``data``, a decimal step indexing a list
    (``committee.value.0.name``); KeyError when it is not there."""
    value: Any = data
    for key in path.split("."):
        if isinstance(value, list) and _INDEX.fullmatch(key) and int(key) < len(value):
            value = value[int(key)]
        elif not isinstance(value, Mapping) or value.get(key, _MISSING) is _MISSING:
            raise KeyError(path)
        else:
            value = value[key]
    return value


def _attributes(path: str, format: str, label: str | None) -> Markup:
    said = Markup(' data-leaf="{}" data-format="{}"').format(path, format)
    return said + (Markup(' data-leaf-label="{}"').format(label) if label else "")


def shown(
    data: Mapping[str, Any],
    path: str,
    format: str = "text",
    label: str | None = None,
    tag: str = "span",
    css: str | None = None,
) -> Markup:
    """``<tag data-leaf=path data-format=format>formatted value</tag>``: the value at
    ``path`` of the entry's ``data``, escaped."""
    if tag not in _TAGS:
        raise ValueError(f"not a tag for a value: {tag}")
    text = FORMATS[format](lookup(data, path))
    klass = Markup(' class="{}"').format(css) if css else ""
    return Markup("<{0}{1}{2}>{3}</{0}>").format(
        Markup(tag),  # noqa: S704 - one of _TAGS, checked above
        klass,
        _attributes(path, format, label),
        text,
    )


def shown_list(data: Mapping[str, Any], path: str, label: str | None = None) -> Markup:
    """A list of texts as ``<ul>``, one ``<li>`` per text, in the entry's order."""
    values = lookup(data, path)
    if not isinstance(values, list):
        raise TypeError(f"{path} is not a list")
    items = Markup("").join(Markup("<li>{}</li>").format(_text(v)) for v in values)
    return Markup('<ul class="inline-list"{}>{}</ul>').format(
        _attributes(path, "list", label), items
    )


def shown_organisation(
    data: Mapping[str, Any],
    path: str,
    name: str,
    label: str | None = None,
    key: str | None = None,
) -> Markup:
    """An organisation the entry names (by its registry code) as the page shows it: by its
    registered ``name``, never the code. The name is the registry's, not the entry's, so
    the 验证 button checks the element's ``data-organisation`` (the code the page means)
    against the entry's value at ``path``: the page cannot point at another organisation
    than the entry recorded. With the organisation's directory ``key`` the name links to
    its page in the directory (inside the element, so an export without the directory
    unlinks it and leaves the name)."""
    code = lookup(data, path)
    if not isinstance(code, str):
        raise TypeError(f"{path} is not an organisation's code")
    said = Markup(' data-leaf-organisation="{}" data-organisation="{}"').format(path, code)
    said += Markup(' data-leaf-label="{}"').format(label) if label else ""
    shown = Markup('<a href="/organisations/{}">{}</a>').format(key, name) if key else name
    return Markup("<span{}>{}</span>").format(said, shown)


def vocabulary_json() -> str:
    """``static/vocabulary.json`` as it should read."""
    return json.dumps(VOCABULARY, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


VOCABULARY_FILE: Final = Path(__file__).parent / "static" / "vocabulary.json"


if __name__ == "__main__":
    VOCABULARY_FILE.write_text(vocabulary_json(), encoding="utf-8")
