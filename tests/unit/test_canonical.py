"""RFC 8785 canonical JSON: our fast encoder against the reference, and the strict parser."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.canonical import MAX_DEPTH, canonical, parse_strict, validate
from ledger.domain.errors import MalformedCommand

# What `validate` refuses inside strings; the generators stay out of it.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")

TRICKY = [
    "\u2028", "\u2029", '"', "\\", "\n", "\t", "/", "<", "&", "'",
    "阳", "光", "采", "购", "𠀋", "😀", "👩‍💻", "🇨🇳", "\ufeff", "\u00e9", "e\u0301",
    "\uffff", "\U0010ffff", "ё", "ع", "ש", "\u200b", "\u00a0",
]

pieces = st.one_of(
    st.characters(exclude_categories=["Cs"]).filter(lambda c: not FORBIDDEN.match(c)),
    st.sampled_from(TRICKY),
)
texts = st.lists(pieces, max_size=30).map("".join)
keys = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True)
integers = st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
scalars = st.one_of(st.none(), st.booleans(), integers, texts)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(keys, inner, max_size=5),
    ),
    max_leaves=25,
)
objects = st.dictionaries(keys, values, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(objects)
def test_canonical_equals_rfc8785_reference(value: dict[str, Any]) -> None:
    validate(value)  # the generated values lie in the validated domain
    assert canonical(value) == rfc8785.dumps(value)


@settings(max_examples=60, deadline=None)
@given(objects)
def test_canonical_bytes_survive_a_strict_parse(value: dict[str, Any]) -> None:
    """What a client signs, the server parses back to the very same canonical bytes."""
    raw = rfc8785.dumps(value)
    parsed = parse_strict(raw)
    validate(parsed)
    assert canonical(parsed) == raw


@pytest.mark.parametrize("text", [*TRICKY, "", 'a"b\\c', "\u2028line\u2029"])
def test_single_tricky_strings_match_reference(text: str) -> None:
    value: dict[str, str | list[str | dict[str, str]]] = {"name": text, "list": [text, {"x": text}]}
    validate(value)
    assert canonical(value) == rfc8785.dumps(value)


@pytest.mark.parametrize("number", [0, 1, -1, 2**53 - 1, -(2**53) + 1, 10**15, -(10**15)])
def test_integers_at_the_edges_match_reference(number: int) -> None:
    assert canonical({"n": number}) == rfc8785.dumps({"n": number})


# -- parse_strict refusals ----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b'{"name": "\xff"}', "UTF-8"),
        (b'{"name": "\xe9t\xe9"}', "UTF-8"),  # Latin-1, not UTF-8
        (b'{"name": "\xed\xa0\x80"}', "UTF-8"),  # an encoded surrogate is invalid UTF-8
        (b'{"a": 1, "a": 2}', "duplicate key"),
        (b'{"a": {"b": 1, "b": 1}}', "duplicate key"),
        (b'{"amount": 1.5}', "integers"),
        (b'{"amount": 1e3}', "integers"),
        (b'{"amount": -0.0}', "integers"),
        (b'{"amount": NaN}', "NaN"),
        (b'{"amount": Infinity}', "Infinity"),
        (b'{"amount": -Infinity}', "Infinity"),
        (b'{"a": 1', "not valid JSON"),
        (b"", "not valid JSON"),
        (b"{'a': 1}", "not valid JSON"),
    ],
)
def test_parse_strict_refuses(raw: bytes, fragment: str) -> None:
    with pytest.raises(MalformedCommand) as refused:
        parse_strict(raw)
    assert fragment in refused.value.message
    assert refused.value.code == "malformed"
    assert refused.value.status == 400


# -- validate refusals ----------------------------------------------------------------


@pytest.mark.parametrize("char", ["\u0000", "\u001b", "\u007f", "\u0085", "\u202e", "\u2066"])
def test_validate_refuses_control_and_bidi_characters(char: str) -> None:
    value = parse_strict(json.dumps({"name": f"澄溪{char}医院"}).encode())
    with pytest.raises(MalformedCommand) as refused:
        validate(value)
    assert f"U+{ord(char):04X}" in refused.value.message
    assert "$.name" in refused.value.message


def test_validate_refuses_lone_surrogate_from_json_escape() -> None:
    value = parse_strict(b'{"name": "x\\ud800y"}')
    with pytest.raises(MalformedCommand, match="U\\+D800"):
        validate(value)


def test_validate_refuses_low_surrogate_alone_but_accepts_a_pair() -> None:
    with pytest.raises(MalformedCommand):
        validate(parse_strict(b'{"name": "\\udc00"}'))
    pair = parse_strict(b'{"name": "\\ud83d\\ude00"}')
    validate(pair)
    assert pair == {"name": "😀"}


def test_validate_refuses_too_deep_nesting() -> None:
    deep: Any = 1
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    with pytest.raises(MalformedCommand, match="deeper"):
        validate(parse_strict(json.dumps({"payload": deep}).encode()))


def test_validate_accepts_nesting_up_to_the_limit() -> None:
    deep: Any = 1
    for _ in range(MAX_DEPTH - 1):
        deep = {"x": deep}
    validate({"payload": deep})


@pytest.mark.parametrize("key", ["Name", "名称", "a-b", "1a", "", "a b", "x" * 65])
def test_validate_refuses_keys_that_are_not_identifiers(key: str) -> None:
    with pytest.raises(MalformedCommand, match="lower-case identifier"):
        validate(parse_strict(json.dumps({"payload": {key: 1}}).encode()))


@pytest.mark.parametrize("number", [2**53, -(2**53), 10**30])
def test_validate_refuses_integers_beyond_double_precision(number: int) -> None:
    with pytest.raises(MalformedCommand, match="2\\^53"):
        validate(parse_strict(json.dumps({"n": number}).encode()))


@pytest.mark.parametrize(
    "text",
    [
        "澄溪县人民医院",
        "云岭康泰医疗器械有限公司 (Hebei Kangtai) — 第2号包",
        "Ürümqi 乌鲁木齐 Урумчи ئۈرۈمچی",
        "医用CT设备采购项目（二次）",
        "价格：¥1,234,567.89元 😀",
        "多行\n说明\t缩进",
    ],
)
def test_chinese_and_mixed_scripts_pass_unchanged(text: str) -> None:
    raw = json.dumps({"name": text}, ensure_ascii=False).encode("utf-8")
    value = parse_strict(raw)
    validate(value)
    assert value["name"] == text
    encoded = canonical(value)
    assert encoded == rfc8785.dumps(value)
    assert text.encode("utf-8") in encoded or "\n" in text or "\t" in text
    assert json.loads(encoded)["name"] == text
