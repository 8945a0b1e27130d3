"""transparency-dev/merkle test vectors, one test per JSON file."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.log.merkle import ProofError, verify_consistency, verify_inclusion

# The vectors are kept in the repository (tests/vectors, with their licence).
TESTDATA = (
    Path(__file__).resolve().parents[1] / "vectors/transparency-dev-merkle/testdata"
)


def _files(kind: str) -> list[Path]:
    return sorted((TESTDATA / kind).rglob("*.json"))


def _id(path: Path) -> str:
    return str(path.relative_to(TESTDATA))


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


INCLUSION = _files("inclusion")
CONSISTENCY = _files("consistency")


def test_vectors_present() -> None:
    # Guard against silently running zero vectors if the checkout moves.
    assert len(INCLUSION) > 50
    assert len(CONSISTENCY) > 50


@pytest.mark.parametrize("path", INCLUSION, ids=_id)
def test_inclusion_vector(path: Path) -> None:
    v = _load(path)
    proof = [_b64(p) for p in v["proof"] or []]

    def check() -> None:
        verify_inclusion(_b64(v["leafHash"]), v["leafIdx"], v["treeSize"], proof, _b64(v["root"]))

    if v["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


@pytest.mark.parametrize("path", CONSISTENCY, ids=_id)
def test_consistency_vector(path: Path) -> None:
    v = _load(path)
    proof = [_b64(p) for p in v["proof"] or []]

    def check() -> None:
        verify_consistency(v["size1"], v["size2"], proof, _b64(v["root1"]), _b64(v["root2"]))

    if v["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()
