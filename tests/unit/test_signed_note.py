"""C2SP signed-note and tlog-checkpoint tests."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.log.note import (
    Checkpoint,
    NoteError,
    Verifier,
    key_id,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
    sign_note,
    verifier_key,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "vectors/c2sp-signed-note-example.txt"
DASH = "\u2014"
EXAMPLE_KEY_B64 = "AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"


def _example() -> tuple[str, str]:
    """(verifier key, signed note) from the shared example file."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    vkey = lines[lines.index("verifier key:") + 1]
    start = next(i for i, line in enumerate(lines) if line.startswith("signed note"))
    body = lines[start + 1 :]
    sig = next(i for i, line in enumerate(body) if line.startswith(DASH))
    return vkey, "\n".join(body[: sig + 1]) + "\n"


def test_spec_example_verifies() -> None:
    vkey, note = _example()
    v = parse_verifier_key(vkey)
    assert v.name == "example.com/foo"
    assert v.key_id == bytes.fromhex("530d903a")
    assert key_id(v.name, v.public_key) == v.key_id
    assert verifier_key(v.name, v.public_key) == vkey
    assert open_note(note, [v]) == "This is an example message.\n"
    assert open_note(note.encode("utf-8"), [v]) == "This is an example message.\n"


def test_spec_example_tampering_fails() -> None:
    vkey, note = _example()
    v = parse_verifier_key(vkey)
    with pytest.raises(NoteError):
        open_note(note.replace("example message", "example massage"), [v])
    text, sig_line = note.rsplit("\n\n", 1)
    name, blob = sig_line.rstrip("\n").split(" ")[1:]
    raw = bytearray(base64.b64decode(blob))
    raw[-1] ^= 1
    forged = f"{text}\n\n{DASH} {name} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(forged, [v])


def test_unknown_signers_are_ignored_but_needed_one_known() -> None:
    vkey, note = _example()
    known = parse_verifier_key(vkey)
    other = Ed25519PrivateKey.generate()
    other_v = Verifier.from_public_key("example.com/other", other.public_key().public_bytes_raw())
    with pytest.raises(NoteError, match="not signed by any known key"):
        open_note(note, [other_v])
    # Add a second signature by an unknown key: still opens with the known one.
    cosigned = sign_note("This is an example message.\n", "example.com/other", other)
    both = note + cosigned.rsplit("\n\n", 1)[1]
    assert open_note(both, [known]) == "This is an example message.\n"
    assert open_note(both, [other_v]) == "This is an example message.\n"
    # Same name, different key ID: a different (unknown) key, so ignored.
    impostor = Verifier.from_public_key(known.name, other.public_key().public_bytes_raw())
    assert open_note(both, [known, impostor]) == "This is an example message.\n"


@pytest.mark.parametrize("attempt", range(20))
def test_round_trip_with_generated_key(attempt: int) -> None:
    # Several keys, so base64 containing "+" or "/" is exercised.
    sk = Ed25519PrivateKey.generate()
    pub = sk.public_key().public_bytes_raw()
    v = parse_verifier_key(verifier_key("ledger.example/log", pub))
    assert v.public_key == pub
    text = "line one\n\nline three after a blank line\n"
    note = sign_note(text, "ledger.example/log", sk)
    assert note.startswith(text + "\n" + DASH + " ledger.example/log ")
    assert open_note(note, [v]) == text


def test_verifier_key_with_plus_in_base64() -> None:
    pub = b"\xfb" * 32  # base64 of 0x01 || 0xfb... is full of "+"
    text = verifier_key("a.example", pub)
    assert "+" in text.split("+", 2)[2]
    assert parse_verifier_key(text).public_key == pub


@pytest.mark.parametrize(
    "text",
    ["no trailing newline", "tab\tchar\n", "cr\r\n", "lone \ud800 surrogate\n"],
)
def test_sign_rejects_bad_text(text: str) -> None:
    with pytest.raises(NoteError):
        sign_note(text, "a.example", Ed25519PrivateKey.generate())


@pytest.mark.parametrize("name", ["", "has space", "has+plus", "nbsp\u00a0name"])
def test_bad_key_names(name: str) -> None:
    with pytest.raises(NoteError):
        sign_note("x\n", name, Ed25519PrivateKey.generate())


def test_malformed_notes_rejected() -> None:
    sk = Ed25519PrivateKey.generate()
    v = Verifier.from_public_key("a.example", sk.public_key().public_bytes_raw())
    note = sign_note("hello\n", "a.example", sk)
    sig_line = note.rsplit("\n\n", 1)[1]
    bad: list[str | bytes] = [
        "hello\n",  # no signature block
        note.rstrip("\n"),  # missing final newline
        "hello\n\n",  # empty signature block
        note.replace(DASH, "-"),  # ASCII dash
        note[:-1] + "!\n",  # corrupt base64
        "hello\n\n" + sig_line * 101,  # too many signatures
        b"hello\n\n\xff\n",  # not UTF-8
        note.replace("hello", "he\x00llo"),  # control character
    ]
    for candidate in bad:
        with pytest.raises(NoteError):
            open_note(candidate, [v])


@pytest.mark.parametrize(
    "text",
    [
        "example.com/foo",  # missing parts
        "example.com/foo+530d903a",
        "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # wrong id
        "example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # uppercase
        "example.com/foo+530d903a+"  # algorithm byte 0x02 instead of Ed25519's 0x01
        + base64.b64encode(b"\x02" + base64.b64decode(EXAMPLE_KEY_B64)[1:]).decode(),
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",  # bad b64
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k+x",
    ],
)
def test_bad_verifier_keys(text: str) -> None:
    with pytest.raises(NoteError):
        parse_verifier_key(text)


def test_checkpoint_round_trip_and_signing() -> None:
    root = bytes(range(32))
    cp = Checkpoint("ledger.example/log", 20852163, root)
    body = cp.body()
    assert body == f"ledger.example/log\n20852163\n{base64.b64encode(root).decode()}\n"
    assert parse_checkpoint(body) == cp
    ext = Checkpoint("o", 0, root, ("ext one", "ext two"))
    assert ext.body().endswith("\next one\next two\n")
    assert parse_checkpoint(ext.body()) == ext

    sk = Ed25519PrivateKey.generate()
    v = Verifier.from_public_key(cp.origin, sk.public_key().public_bytes_raw())
    assert parse_checkpoint(open_note(sign_note(body, cp.origin, sk), [v])) == cp


ROOT_B64 = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    "text",
    [
        f"o\n1\n{ROOT_B64}",  # no final newline
        "o\n1\n",  # missing root
        f"\n1\n{ROOT_B64}\n",  # empty origin
        f"o\n01\n{ROOT_B64}\n",  # leading zero
        f"o\n-1\n{ROOT_B64}\n",
        f"o\n+1\n{ROOT_B64}\n",
        f"o\n 1\n{ROOT_B64}\n",
        f"o\n\u0661\n{ROOT_B64}\n",  # non-ASCII digit
        f"o\n1\n{base64.b64encode(bytes(31)).decode()}\n",  # short root
        "o\n1\nnot base64!\n",
        f"o\n1\n{ROOT_B64}\n\n",  # empty extension line
    ],
)
def test_checkpoint_strict_parse(text: str) -> None:
    with pytest.raises(NoteError):
        parse_checkpoint(text)


def test_checkpoint_constructor_validates() -> None:
    with pytest.raises(NoteError):
        Checkpoint("", 1, bytes(32))
    with pytest.raises(NoteError):
        Checkpoint("o\nx", 1, bytes(32))
    with pytest.raises(NoteError):
        Checkpoint("o", -1, bytes(32))
    with pytest.raises(NoteError):
        Checkpoint("o", 1, bytes(31))
    with pytest.raises(NoteError):
        Checkpoint("o", 1, bytes(32), ("",))


def test_the_log_signs_by_libsodium_the_very_note_openssl_would() -> None:
    from ledger.log.signer import LogSigner

    key = Ed25519PrivateKey.generate()
    signer = LogSigner("example.com/log", key)
    root = bytes(range(32))
    note = signer.sign(7, root)
    body = Checkpoint("example.com/log", 7, root).body()
    assert note == sign_note(body, "example.com/log", key)
    assert parse_checkpoint(open_note(note, [signer.verifier])) == Checkpoint(
        "example.com/log", 7, root
    )
