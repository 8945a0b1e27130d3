"""The browser's RFC 8785 canonical JSON (`canonical` in static/signing.js, as served) against
the `rfc8785` package the command line signs with, byte for byte, in a real chromium: RFC
8785's own examples, strings that trip encoders, and hypothesis-generated JSON values, many
per page call. Then what the ledger does with a command signed in that browser: accepted as
signed, refused once changed, refused once its key is revoked."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import rfc8785
from conftest import Server, World, hospital_world, make_config, start_server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import signing
from ledger.application import Ledger
from ledger.store.url import parse_database_url

#: Loads signing.js as the workbench's pages do (a module of this origin) and canonicalises
#: each value of a JSON array, answering its canonical text or the Chinese refusal.
CANONICALISE = """async (text) => {
  const { canonical } = await import("/static/signing.js");
  return JSON.parse(text).map((value) => {
    try { return { text: canonical(value) }; } catch (e) { return { refused: e.message }; }
  });
}"""


@dataclass
class Site:
    server: Server
    world: World

    def post(self, body: str | bytes) -> httpx.Response:
        return httpx.post(self.server.url + "/commands", content=body, timeout=30)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("canonical")
    url = parse_database_url(f"sqlite:///{data / 'ledger.db'}")
    ledger = Ledger(make_config(url, data, inline_integration=True))
    try:
        world = hospital_world(ledger)
    finally:
        ledger.close()
    server = start_server(url, data)
    try:
        yield Site(server, world)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def page(site: Site, browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(site.server.url + "/workbench")
        yield tab
    finally:
        context.close()


def in_browser(page: Any, values: list[Any]) -> list[dict[str, str]]:
    # Sent as ASCII JSON text: floats round-trip exactly, -0.0 stays -0, astral characters
    # travel as surrogate pairs and JSON.parse puts them back together.
    answers: list[dict[str, str]] = page.evaluate(CANONICALISE, json.dumps(values))
    return answers


def assert_same_bytes(page: Any, values: list[Any]) -> None:
    for value, answer in zip(values, in_browser(page, values), strict=True):
        assert "text" in answer, (value, answer)
        assert answer["text"].encode("utf-8") == rfc8785.dumps(value), value


# -- RFC 8785's own examples ---------------------------------------------------------------

#: Section 3.2.2: the sample input and its canonical form.
RFC_SAMPLE: dict[str, Any] = {
    "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
    "literals": [None, True, False],
}
RFC_SAMPLE_CANONICAL = (
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
)
#: Section 3.2.3: keys sorted by UTF-16 code units (the emoji's high surrogate sorts before
#: U+FB33, though its code point is above it).
RFC_SORTING = {
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\U0001f600": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis",
}
RFC_SORTED_KEYS = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
#: Appendix B: IEEE 754 doubles (in hex) and their serialisation.
RFC_NUMBERS = {
    "0000000000000000": "0",
    "8000000000000000": "0",
    "0000000000000001": "5e-324",
    "8000000000000001": "-5e-324",
    "7fefffffffffffff": "1.7976931348623157e+308",
    "ffefffffffffffff": "-1.7976931348623157e+308",
    "4340000000000000": "9007199254740992",
    "c340000000000000": "-9007199254740992",
    "4430000000000000": "295147905179352830000",
    "44b52d02c7e14af5": "9.999999999999997e+22",
    "44b52d02c7e14af6": "1e+23",
    "44b52d02c7e14af7": "1.0000000000000001e+23",
    "444b1ae4d6e2ef4e": "999999999999999700000",
    "444b1ae4d6e2ef4f": "999999999999999900000",
    "444b1ae4d6e2ef50": "1e+21",
    "3eb0c6f7a0b5ed8c": "9.999999999999997e-7",
    "3eb0c6f7a0b5ed8d": "0.000001",
    "41b3de4355555553": "333333333.3333332",
    "41b3de4355555554": "333333333.33333325",
    "41b3de4355555555": "333333333.3333333",
    "41b3de4355555556": "333333333.3333334",
    "41b3de4355555557": "333333333.33333343",
    "becbf647612f3696": "-0.0000033333333333333333",
    "43143ff3c1cb0959": "1424953923781206.2",
}
#: Strings that trip encoders: escapes, line and paragraph separators, astral characters,
#: combining marks, a byte-order mark, and the C0 controls JSON must escape.
TRICKY = [
    "\u2028", "\u2029", '"', "\\", "\n", "\t", "\b", "\f", "\r", "/", "<", "&", "'", "\x7f",
    "阳光采购", "𠀋", "😀", "👩‍💻", "🇨🇳", "\ufeff", "\u00e9", "e\u0301", "\uffff",
    "\U0010ffff", "\u200b", "\u00a0", *(chr(c) for c in range(0x20)),
]  # fmt: skip


def double(bits: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(bits))[0]
    return value


def test_rfc_8785_examples_match_byte_for_byte(page: Any) -> None:
    assert rfc8785.dumps(RFC_SAMPLE).decode() == RFC_SAMPLE_CANONICAL
    [sample, sorting] = in_browser(page, [RFC_SAMPLE, RFC_SORTING])
    assert sample["text"] == RFC_SAMPLE_CANONICAL
    assert list(json.loads(sorting["text"])) == RFC_SORTED_KEYS
    assert sorting["text"].encode() == rfc8785.dumps(RFC_SORTING)

    numbers = [double(bits) for bits in RFC_NUMBERS]
    answers = in_browser(page, numbers)
    for (bits, expected), answer, number in zip(RFC_NUMBERS.items(), answers, numbers,
                                                strict=True):
        assert answer["text"] == expected == rfc8785.dumps(number).decode(), bits


def test_tricky_strings_and_keys_match_byte_for_byte(page: Any) -> None:
    assert_same_bytes(page, [*TRICKY, {t: t for t in TRICKY}, [TRICKY, {"x": TRICKY}]])
    assert_same_bytes(page, [0, -1, 2**53 - 1, -(2**53) + 1, 10**15, [], {}, [[]], {"": {}}])


# -- hypothesis: JSON values across the whole of RFC 8785's domain --------------------------

texts = st.lists(st.one_of(
    st.characters(exclude_categories=["Cs"]),  # any code point but a lone surrogate
    st.sampled_from(TRICKY),
), max_size=12).map("".join)
numbers = st.one_of(
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),  # what a command may hold
    st.floats(allow_nan=False, allow_infinity=False),  # the rest of JCS, -0.0 included
)
values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, texts),
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(texts, inner, max_size=5)),
    max_leaves=20,
)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(values, min_size=30, max_size=60))
def test_generated_values_match_byte_for_byte(page: Any, batch: list[Any]) -> None:
    assert_same_bytes(page, batch)


# -- what JSON cannot carry, and what the ledger refuses in a command -----------------------


def test_what_json_cannot_carry_is_refused_not_altered(page: Any) -> None:
    refusals = page.evaluate("""async () => {
      const { canonical } = await import("/static/signing.js");
      const cases = [NaN, Infinity, -Infinity, "a\\ud800", "\\udc00b", { ["\\ud83d"]: 1 },
                     [undefined], [1, , 3], new Date(0), new Map(), 10n, () => 1, Symbol("s")];
      return cases.map((value) => {
        try { return canonical(value); } catch (e) { return e.constructor.name + ":" + e.message; }
      });
    }""")
    assert all(r.startswith("SigningError:") for r in refusals), refusals
    assert "非有限数" in refusals[0] and "孤立的代理项" in refusals[3]
    # A member left undefined is left out, as JSON.stringify leaves it out of the body.
    assert page.evaluate("""async () => {
      const { canonical } = await import("/static/signing.js");
      return [canonical({ b: 1, a: undefined }), canonical(-0), canonical({ z: [-0, 1e21] })];
    }""") == ['{"b":1}', "0", '{"z":[0,1e+21]}']


# -- commands signed in the browser, as the ledger takes them -------------------------------


def browser_signed(page: Any, pem: str, actor: str, kind: str, payload: dict[str, Any]) -> Any:
    """The request body signedBody makes in the page with the key file `pem`, or its refusal."""
    return page.evaluate("""async ([pem, actor, kind, payload]) => {
      const { readKey, signedBody } = await import("/static/signing.js");
      const signer = await readKey(new File([pem], "key.pem"));
      try { return await signedBody(signer, actor, kind, null, payload); }
      catch (e) { return { refused: e.message }; }
    }""", [pem, actor, kind, payload])


def test_the_browser_refuses_the_numbers_the_ledger_refuses(
    page: Any, site: Site, tmp_path: Path
) -> None:
    supplier = site.world.actors["kangtai-op"]
    signing.write_key(tmp_path / "kangtai-op.pem", supplier.key)
    pem = (tmp_path / "kangtai-op.pem").read_text()
    for amount in (1.5, 2**53, -(2**53), 1e21, 0.1):
        refused = browser_signed(page, pem, "kangtai-op", "AmendOrganisation",
                                 {"code": "kangtai", "amount": amount})
        assert "只能是绝对值不超过 9007199254740991 的整数" in refused["refused"], amount
    # The ledger refuses the same numbers from any other client.
    for literal in ("1.5", "9007199254740992", "-9007199254740992", "1e21"):
        body = supplier.body("AmendOrganisation", {"code": "kangtai", "address": "x"}).decode()
        refused = site.post(body.replace('"address": "x"', f'"amount": {literal}'))
        assert refused.status_code == 400 and refused.json()["code"] == "malformed", literal


def test_a_browser_signed_command_is_refused_once_changed_or_its_key_revoked(
    page: Any, site: Site, tmp_path: Path
) -> None:
    supplier = site.world.actors["kangtai-op"]
    signing.write_key(tmp_path / "kangtai-op.pem", supplier.key)
    pem = (tmp_path / "kangtai-op.pem").read_text()
    body = browser_signed(page, pem, "kangtai-op", "AmendOrganisation",
                          {"code": "kangtai", "address": "澄溪县白鹭路 8 号「康泰」大楼 😀"})
    assert isinstance(body, str), body

    # Changed after signing: the address, or the order of the signed keys only.
    changed = json.loads(body)
    changed["command"]["payload"]["address"] = "澄溪县白鹭路 9 号「康泰」大楼 😀"
    refused = site.post(json.dumps(changed, ensure_ascii=False))
    assert refused.status_code == 401 and refused.json()["code"] == "bad_signature", refused.text
    reordered = json.loads(body)
    reordered["command"] = dict(reversed(list(reordered["command"].items())))
    assert site.post(json.dumps(reordered)).status_code == 201  # same canonical bytes: valid

    revoked = site.post(site.world.admin.body(
        "RevokeKey", {"key_id": supplier.key_id, "reason": "密钥文件遗失"}))
    assert revoked.status_code == 201, revoked.text
    later = browser_signed(page, pem, "kangtai-op", "AmendOrganisation",
                           {"code": "kangtai", "address": "澄溪县白鹭路 10 号"})
    refused = site.post(later)
    assert refused.status_code == 401 and refused.json()["code"] == "revoked_key", refused.text
    assert "密钥文件遗失" in refused.json()["message"]
