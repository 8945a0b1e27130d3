"""The log's witnesses file: what it accepts, and refusals that name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.log.cosignature import cosignature_verifier_key
from ledger.log.witness_config import WitnessFileError, load_witnesses


def vkey(name: str) -> str:
    return cosignature_verifier_key(name, Ed25519PrivateKey.generate().public_key()
                                    .public_bytes_raw())


SJJ, JW = vkey("witness.qhx-sjj.localhost"), vkey("witness.qhx-jw.localhost")


def entry(name: str, url: str, key: str) -> str:
    return f'[[witness]]\nname = "{name}"\nurl = "{url}"\nkey = "{key}"\n\n'


def test_the_default_policy_requires_every_witness(tmp_path: Path) -> None:
    path = tmp_path / "witnesses.toml"
    path.write_text(entry("审计局", "http://127.0.0.1:8100/", SJJ)
                    + entry("纪委监委", "https://w.example", JW), encoding="utf-8")
    loaded = load_witnesses(path)
    assert [e.url for e in loaded.endpoints] == ["http://127.0.0.1:8100", "https://w.example"]
    assert loaded.policy.quorum == "all-witnesses"
    assert loaded.policy.groups["all-witnesses"].threshold == 2
    own = tmp_path / "policy.txt"
    own.write_text(f"witness 审计局 {SJJ}\nquorum 审计局\n", encoding="utf-8")
    assert load_witnesses(path, own).policy.quorum == "审计局"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (entry("审计局", "ftp://x", SJJ), r"toml:3: .*url"),
        (entry("审计局", "http://x", "not-a-key"), r"toml:4: .*key"),
        (entry("审 计局", "http://x", SJJ), r"toml:2: .*name"),
        (entry("审计局", "http://x", SJJ) + entry("审计局", "http://y", JW), "listed twice"),
        (entry("审计局", "http://x", SJJ) + entry("纪委监委", "http://y", SJJ), "listed twice"),
        ("", "witness"),
    ],
)
def test_a_bad_witnesses_file_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "witnesses.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WitnessFileError, match=problem):
        load_witnesses(path)
