"""`sunshine verify --db` opens every kept sealed value with the sealed-value key and names
a damaged row; `/sealed/read` of a damaged row answers a clear refusal, never a 500, which
the inspector's history page says in Chinese."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import _url, hospital_world, make_config, start_server, sunshine
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from csp_watch import violations, watch_policy
from procurement_world import County
from supervision_client import read_refusal, sign_in_in_browser

from ledger import signing
from ledger.application import Ledger
from ledger.domain.sealed import Disclosure, seal
from ledger.store.sql import open_database
from ledger.store.url import DatabaseURL
from sunshine.bootstrap import projector_for


@dataclass
class Sealed:
    """A ledger with two bids opened, one with its representative's identity number (sealed
    for good), closed again."""

    url: DatabaseURL
    data: Path
    commitment: str  # the identity number's: still sealed after the opening
    procurement: str
    owner: str
    county: County


@pytest.fixture
def sealed(db_url: DatabaseURL, tmp_path: Path) -> Iterator[Sealed]:
    ledger = Ledger(make_config(db_url, tmp_path, inline_integration=True))
    try:
        county = County(hospital_world(ledger))
        county.to_announced()
        values: dict[str, Disclosure] = {}
        identity = signing.sealed_value("13052119800101123X", values)
        price = signing.sealed_value("1790000.00", values)
        county.act(county.suppliers[0], "SubmitBid",
                   {"date": "2026-04-20", "price": price, "representative_id": identity},
                   sealed=values)  # fmt: skip
        county.bid(county.suppliers[1], "1720000.00")
        county.world.close_and_open(county.agency, "2026-05-06")
    finally:
        ledger.close()
    yield Sealed(db_url, tmp_path, identity["commitment"], "p1",
                 county.suppliers[0].organisation, county)  # fmt: skip


def _tamper(url: DatabaseURL, statement: str, params: tuple[object, ...]) -> None:
    """Change a sealed row as the database owner could: the append-only triggers off first."""
    db = open_database(url)
    try:
        with db.write(0) as cur:
            if url.is_sqlite:
                cur.execute("DROP TRIGGER sealed_values_no_update")
            else:
                cur.execute("ALTER TABLE sealed_values DISABLE TRIGGER USER")
            cur.execute(statement, params)
    finally:
        db.close()


def _flip_ciphertext(s: Sealed) -> None:
    db = open_database(s.url)
    try:
        with db.read() as cur:
            row = cur.execute(
                "SELECT ciphertext FROM sealed_values WHERE commitment = ?", (s.commitment,)
            ).fetchone()
    finally:
        db.close()
    assert row is not None
    altered = bytearray(bytes(row[0]))
    altered[3] ^= 0x40
    _tamper(s.url, "UPDATE sealed_values SET ciphertext = ? WHERE commitment = ?",
            (bytes(altered), s.commitment))  # fmt: skip


def _verify(s: Sealed, *extra: str, data: Path | None = None) -> tuple[int, str]:
    result = sunshine("verify", "--db", _url(s.url), "--jobs", "1", *extra,
                      data_dir=data or s.data)  # fmt: skip
    return result.returncode, result.stdout + result.stderr


def test_verify_opens_every_kept_value(sealed: Sealed) -> None:
    code, out = _verify(sealed)
    assert code == 0, out
    # Two prices, two envelopes, an identity number and fourteen dummies padding the box.
    assert "sealed store: 19 kept values open their commitments" in out


def test_verify_names_a_row_whose_ciphertext_was_altered(sealed: Sealed) -> None:
    _flip_ciphertext(sealed)
    code, out = _verify(sealed)
    assert code == 1, out
    assert f"FAILED: 1 of 19 kept sealed values are damaged: sealed value {sealed.commitment} " \
        "cannot be decrypted" in out


def test_verify_names_a_value_re_encrypted_that_no_longer_opens_its_commitment(
    sealed: Sealed,
) -> None:
    """Someone holding the key writes another price under the commitment: the row decrypts,
    but SHA-256(salt ‖ JCS(value)) is no longer the commitment in the log."""
    key = (sealed.data / "sealed-key").read_bytes()
    _, other = seal("1.00")
    plaintext = json.dumps({"value": "1.00", "salt": other.salt_b64}).encode()
    nonce = base64.b64decode("AAECAwQFBgcICQoL")
    bound = "\n".join((sealed.commitment, sealed.procurement, sealed.owner)).encode()
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, bound)
    _tamper(sealed.url, "UPDATE sealed_values SET nonce = ?, ciphertext = ? WHERE commitment = ?",
            (nonce, ciphertext, sealed.commitment))  # fmt: skip
    code, out = _verify(sealed)
    assert code == 1, out
    assert f"sealed value {sealed.commitment} does not open its commitment" in out


def test_verify_without_the_sealed_key_says_the_store_was_not_checked(
    sealed: Sealed, tmp_path: Path
) -> None:
    _flip_ciphertext(sealed)
    auditor = tmp_path / "auditor"
    auditor.mkdir()
    shutil.copy(sealed.data / "log-key.pem", auditor / "log-key.pem")
    code, out = _verify(sealed, data=auditor)
    assert code == 0, out  # the log itself is sound
    assert f"sealed store not checked: no sealed-value key at {auditor / 'sealed-key'}" in out
    # Given the key, it checks the store and finds the damage.
    code, out = _verify(sealed, "--sealed-key", str(sealed.data / "sealed-key"), data=auditor)
    assert code == 1 and f"sealed value {sealed.commitment} cannot be decrypted" in out
    assert sorted(p.name for p in auditor.iterdir()) == ["log-key.pem"]  # nothing created


def test_reading_a_damaged_value_answers_a_refusal_naming_it(sealed: Sealed) -> None:
    _flip_ciphertext(sealed)
    server = start_server(sealed.url, sealed.data)
    try:
        inspector = sealed.county.inspector
        size = httpx.get(server.url + "/log/checkpoint").text.split("\n")[1]
        body = inspector.body("ReadSealed", {"commitment": sealed.commitment})
        answer = httpx.post(server.url + "/sealed/read", content=body, timeout=30)
        assert answer.status_code == 409, answer.text
        assert answer.json()["code"] == "sealed_damaged"
        assert answer.json()["commitment"] == sealed.commitment
        assert sealed.commitment in answer.json()["message"]
        # Nothing was read, so nothing was recorded.
        assert httpx.get(server.url + "/log/checkpoint").text.split("\n")[1] == size
    finally:
        server.stop()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_history_page_says_a_damaged_value_cannot_be_read(
    sealed: Sealed, browser: Any, tmp_path: Path
) -> None:
    _flip_ciphertext(sealed)
    ledger = Ledger(make_config(sealed.url, sealed.data, inline_integration=True))
    try:  # projected before the server starts: the history page is there from the first visit
        projector = projector_for(ledger)
        projector.setup()
        projector.catch_up()
    finally:
        ledger.close()
    key_file = tmp_path / "jw-op.pem"
    signing.write_key(key_file, sealed.county.inspector.key)
    server = start_server(sealed.url, sealed.data)
    context = browser.new_context()
    try:
        page = context.new_page()
        console = watch_policy(page)
        sign_in_in_browser(page, server.url, "jw-op", key_file)
        page.goto(server.url + "/supervision/procurements/p1")
        size = httpx.get(server.url + "/log/checkpoint").text.split("\n")[1]
        box = f'[data-sealed="{sealed.commitment}"]'
        page.set_input_files("#read-key-file", str(key_file))
        page.click(f"{box} [data-read-sealed]")
        assert "密封库中的该值已损坏或无法解密" in read_refusal(page, box)
        assert httpx.get(server.url + "/log/checkpoint").text.split("\n")[1] == size
        assert violations(page) == [] and console == []
    finally:
        context.close()
        server.stop()
