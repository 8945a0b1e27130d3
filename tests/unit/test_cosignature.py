"""C2SP tlog-cosignature/v1 (Ed25519) against published examples and real witnesses."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.log.cosignature import (
    cosign,
    cosignature_key_id,
    cosignature_message,
    note_parts,
    parse_cosignature_key,
    signature_lines,
)
from ledger.log.note import NoteError, Verifier, open_note, parse_verifier_key

# A checkpoint of the arche2025h1 staging CT log (transparency.dev) as it was served with the
# cosignatures of four public witnesses; the witnesses' keys are their published vkeys.
REAL_CHECKPOINT = (
    "arche2025h1.staging.ct.transparency.dev\n"
    "1432088532\n"
    "U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n"
    "\n"
    "— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6ho"
    "GREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n"
    "— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUk"
    "zbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n"
    "— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTz"
    "wZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n"
    "— witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iE"
    "cxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n"
    "— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobW"
    "X9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n"
    "— witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJ"
    "mIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==\n"
)
REAL_WITNESSES = [
    "transparency.dev/DEV:witness-little-garden+d8042a87+"
    "BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM",
    "witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO",
    "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    "witness.stagemole.eu+67f7aea0+BEqSG3yu9YrmcM3BHvQYTxwFj3uSWakQepafafpUqklv",
]


def _cosignatures(note: str, vkey: str) -> list[int]:
    verifier = parse_cosignature_key(vkey)
    text, lines = note_parts(note)
    return [
        verifier.verify(text, blob).timestamp
        for name, blob in signature_lines(lines)
        if verifier.matches(name, blob)
    ]


@pytest.mark.parametrize("vkey", REAL_WITNESSES)
def test_real_witness_cosignatures_verify(vkey: str) -> None:
    assert _cosignatures(REAL_CHECKPOINT, vkey) == [0x6A122120]


@pytest.mark.parametrize("vkey", REAL_WITNESSES)
def test_real_cosignature_does_not_cover_another_size(vkey: str) -> None:
    clobbered = REAL_CHECKPOINT.replace("1432088532", "42", 1)
    with pytest.raises(NoteError, match="invalid cosignature"):
        _cosignatures(clobbered, vkey)


def test_the_log_signature_of_a_cosigned_note_still_opens() -> None:
    # A note verifier that knows only the log's key ignores the witnesses' lines.
    log = (
        "arche2025h1.staging.ct.transparency.dev+ba2f06c0+"
        "AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
    )
    assert open_note(REAL_CHECKPOINT, [parse_verifier_key(log)]).startswith("arche2025h1")


def test_spec_example_line_carries_the_spec_timestamp() -> None:
    # c2sp.org/tlog-cosignature: the witness.example.com/w1 line of the example, whose signed
    # message the spec spells with "time 1679315147".
    blob = base64.b64decode(
        "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZ"
        "qhf5nNo0xUe+mbIUBkBIfZ+qnA=="
    )
    assert len(blob) == 4 + 8 + 64
    assert struct.unpack(">Q", blob[4:12]) == (1679315147,)
    message = cosignature_message(
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        1679315147,
    )
    assert message == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_transparency_dev_timestamp_vector() -> None:
    # transparency-dev/formats note/note_cosigv1_test.go, TestCoSigV1Timestamp.
    blob = base64.b64decode(
        "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFi"
        "EBYJXORmnFBOBA=="
    )
    assert struct.unpack(">Q", blob[4:12]) == (1727964367,)


@pytest.mark.parametrize(
    "vkey",
    [
        # transparency-dev/formats TestCoSigV1NewVerifier: a native 0x04 key, and a 0x01 note
        # key converted to a cosignature key.
        "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
        "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6",
    ],
)
def test_witness_keys_parse(vkey: str) -> None:
    verifier = parse_cosignature_key(vkey)
    assert verifier.key_id == cosignature_key_id(verifier.name, verifier.public_key)


@pytest.mark.parametrize(
    "vkey",
    [
        "bananas.sigstore.dev+12344556",
        "rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!",
        "rekor.sigstore.dev+12345678+AwEB",
        "remora.n621.de+00000000+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
        "TEST+00000000+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6",
    ],
)
def test_bad_witness_keys_are_refused(vkey: str) -> None:
    with pytest.raises(NoteError):
        parse_cosignature_key(vkey)


def test_our_cosignature_round_trips_and_covers_extension_lines() -> None:
    key = Ed25519PrivateKey.generate()
    name = "witness.qhx-sjj.localhost"
    text = "test\n123\nf+7CoKgXKE/tNys9TTXcr/ad6U/K3xvznmzew9y6SP0=\nExtendo\n"
    line = cosign(text, name, key, 1727964367)
    vkey = parse_cosignature_key(
        f"{name}+{cosignature_key_id(name, key.public_key().public_bytes_raw()).hex()}+"
        + base64.b64encode(b"\x04" + key.public_key().public_bytes_raw()).decode()
    )
    assert _cosignatures(f"{text}\n{line}", vkey.vkey) == [1727964367]
    with pytest.raises(NoteError):
        _cosignatures(f"{text.replace('Extendo', 'Extendo@')}\n{line}", vkey.vkey)
    # A cosignature is not a note signature: the same key as a 0x01 note key does not open it.
    note_key = Verifier.from_public_key(name, key.public_key().public_bytes_raw())
    with pytest.raises(NoteError, match="not signed by any known key"):
        open_note(f"{text}\n{line}", [note_key])
