"""Sealed values: commitments, disclosures, and forged disclosures refused."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.domain.errors import Invalid
from ledger.domain.sealed import (
    Disclosure,
    check_disclosure,
    commitment_of,
    is_commitment,
    seal,
)

VALUES: list[Any] = [
    "1234567.89",
    "0.01",
    "",
    "云岭康泰医疗器械有限公司",
    {"members": ["王建国", "李秀英", "张伟"], "chair": "王建国"},
    {"id_number": "130102198001011234", "name": "赵志刚 (Zhao)"},
    [1, 2, "三", None, True, {"nested": ["a", "b"]}],
    [],
    42,
]


@pytest.mark.parametrize("value", VALUES)
def test_round_trip(value: Any) -> None:
    commitment, disclosure = seal(value)
    assert is_commitment(commitment)
    assert isinstance(disclosure, Disclosure)
    assert disclosure.value == value
    assert len(base64.b64decode(disclosure.salt_b64, validate=True)) == 32
    check_disclosure(commitment, disclosure.value, disclosure.salt_b64)
    # The bare base64 string is accepted as well.
    check_disclosure(commitment["commitment"], disclosure.value, disclosure.salt_b64)


def test_commitment_is_sha256_of_salt_and_jcs() -> None:
    salt = bytes(range(32))
    value: Any = {"b": "二", "a": ["1.00", 3]}
    expected = hashlib.sha256(salt + rfc8785.dumps(value)).digest()
    assert commitment_of(value, salt) == base64.b64encode(expected).decode()
    # Key order does not matter: the value is canonicalised first.
    assert commitment_of({"a": ["1.00", 3], "b": "二"}, salt) == commitment_of(value, salt)


def test_two_seals_of_the_same_value_differ() -> None:
    first, d1 = seal("980000.00")
    second, d2 = seal("980000.00")
    assert first != second
    assert d1.salt_b64 != d2.salt_b64


def test_disclosure_is_frozen() -> None:
    _, disclosure = seal("x")
    with pytest.raises(AttributeError):
        disclosure.value = "y"  # type: ignore[misc]


def _refused(commitment: object, value: Any, salt_b64: Any) -> Invalid:
    with pytest.raises(Invalid) as caught:
        check_disclosure(commitment, value, salt_b64)
    assert caught.value.code == "bad_disclosure"
    assert caught.value.status == 422
    return caught.value


@pytest.mark.parametrize("forged", ["1234567.88", "1234567.890", 1234567, None, ["1234567.89"]])
def test_forged_value_refused(forged: Any) -> None:
    commitment, disclosure = seal("1234567.89")
    error = _refused(commitment, forged, disclosure.salt_b64)
    assert "does not match" in error.message


def test_forged_committee_refused() -> None:
    commitment, disclosure = seal(["王建国", "李秀英"])
    _refused(commitment, ["王建国", "李秀"], disclosure.salt_b64)
    _refused(commitment, ["李秀英", "王建国"], disclosure.salt_b64)


def test_wrong_salt_refused() -> None:
    commitment, _ = seal("张伟")
    _, other = seal("张伟")
    error = _refused(commitment, "张伟", other.salt_b64)
    assert "does not match" in error.message


@pytest.mark.parametrize(
    "salt",
    [
        "",
        base64.b64encode(bytes(31)).decode(),
        base64.b64encode(bytes(33)).decode(),
        base64.urlsafe_b64encode(b"\xff" * 32).decode(),  # URL-safe alphabet
        base64.b64encode(bytes(32)).decode().rstrip("="),  # missing padding
        base64.b64encode(bytes(32)).decode()[:-2] + "B=",  # non-canonical trailing bits
        " " + base64.b64encode(bytes(32)).decode(),
        base64.b64encode(bytes(32)),  # bytes, not text
        None,
    ],
)
def test_malformed_salt_refused(salt: Any) -> None:
    commitment, disclosure = seal("x")
    error = _refused(commitment, disclosure.value, salt)
    assert "salt" in error.message


@pytest.mark.parametrize(
    "make",
    [
        lambda c: {},
        lambda c: {"commitment": c, "extra": 1},
        lambda c: {"Commitment": c},
        lambda c: {"commitment": c[:-4]},
        lambda c: {"commitment": c.rstrip("=")},
        lambda c: {"commitment": c.replace("+", "-").replace("/", "_") + "!"},
        lambda c: {"commitment": base64.b64encode(bytes(16)).decode()},
        lambda c: {"commitment": None},
        lambda c: [c],
        lambda c: None,
        lambda c: "not base64 at all",
    ],
)
def test_malformed_commitment_refused(make: Any) -> None:
    commitment, disclosure = seal("x")
    bad = make(commitment["commitment"])
    assert not is_commitment(bad)
    error = _refused(bad, disclosure.value, disclosure.salt_b64)
    assert "malformed commitment" in error.message


def test_is_commitment() -> None:
    commitment, _ = seal("x")
    assert is_commitment(commitment)
    assert is_commitment({"commitment": base64.b64encode(bytes(32)).decode()})
    assert not is_commitment(commitment["commitment"])
    assert not is_commitment({"commitment": base64.b64encode(bytes(32)).decode()[:-2] + "B="})


def test_floats_refused() -> None:
    with pytest.raises(Invalid) as caught:
        seal({"price": 12.5})
    assert caught.value.code == "bad_disclosure"


def test_salt_length_checked() -> None:
    with pytest.raises(Invalid):
        commitment_of("x", bytes(16))


# Sealed values come from anyone: any key text (beyond the BMP too, where RFC 8785's
# UTF-16 key order differs from code point order), any string, integers past ±2**53.
_any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
_key_text = st.one_of(_any_text, st.sampled_from(["\ue000", "\U00010000", "\uffff", "a", "𠀋"]))
_sealed_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**60), 2**60), _any_text),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_key_text, inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_sealed_values)
def test_commitment_uses_rfc8785_bytes(value: Any) -> None:
    """The commitment hashes the reference encoder's bytes, or is refused as it refuses."""
    salt = bytes(range(32))
    try:
        expected = hashlib.sha256(salt + rfc8785.dumps(value)).digest()
    except rfc8785.CanonicalizationError:
        with pytest.raises(Invalid):
            commitment_of(value, salt)
        return
    assert commitment_of(value, salt) == base64.b64encode(expected).decode()
