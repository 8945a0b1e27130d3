"""Witnesses for tests: `sunshine witness serve` in its own process, and a log the test
holds the key of, to forge checkpoints (forks, rollbacks) the way a hostile operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from conftest import ROOT, TLS, eventually, free_port
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.log.merkle import CompactRange, NodeId, consistency_proof, leaf_hash
from ledger.log.note import Checkpoint, sign_note, verifier_key
from witness.request import AddCheckpoint


@dataclass
class ForgedLog:
    """A log in memory whose key the test holds: any history, any checkpoint."""

    origin: str = "sunshine-ledger.localhost/log"
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    tree: CompactRange = field(default_factory=CompactRange)
    nodes: dict[NodeId, bytes] = field(default_factory=dict)

    @property
    def vkey(self) -> str:
        return verifier_key(self.origin, self.key.public_key().public_bytes_raw())

    def append(self, *leaves: bytes) -> None:
        for leaf in leaves:
            self.nodes.update(self.tree.append(leaf_hash(leaf)))

    def grow(self, count: int, tag: str = "") -> None:
        start = self.tree.size
        self.append(*(f"{tag}leaf {start + n}".encode() for n in range(count)))

    def note(self) -> str:
        body = Checkpoint(self.origin, self.tree.size, self.tree.root()).body()
        return sign_note(body, self.origin, self.key)

    def proof(self, old: int) -> list[bytes]:
        if old in (0, self.tree.size):
            return []
        return consistency_proof(old, self.tree.size, lambda ids: [self.nodes[i] for i in ids])

    def request(self, old: int, proof: list[bytes] | None = None) -> bytes:
        return AddCheckpoint(old, tuple(self.proof(old) if proof is None else proof),
                             self.note()).to_body()

    def fork(self) -> ForgedLog:
        """Another history under the same key: a copy to grow differently."""
        return ForgedLog(self.origin, self.key, CompactRange(self.tree.size, self.tree.hashes),
                         dict(self.nodes))


@dataclass
class WitnessProcess:
    name: str
    key: Path
    db: Path
    logs: Path
    port: int
    process: subprocess.Popen[str] | None = None
    vkey: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WitnessProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sunshine.cli", "witness", "serve", "--name", self.name,
             "--key", str(self.key), "--db", str(self.db), "--logs", str(self.logs),
             "--port", str(self.port)],
            cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # the readiness line: printed once it listens
        assert line.startswith(f"witness {self.name} "), line
        self.vkey = eventually(lambda: _vkey(self.url), self.process)
        return self

    def add(self, body: bytes) -> httpx.Response:
        return httpx.post(self.url + "/add-checkpoint", content=body, timeout=30, verify=TLS)

    def kill(self) -> None:
        """kill -9: no chance to flush or close anything."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()


def _vkey(url: str) -> str | None:
    try:
        return httpx.get(url + "/", timeout=10, verify=TLS).text.strip()
    except httpx.HTTPError:
        return None


def new_witness(directory: Path, name: str, *log_vkeys: str) -> WitnessProcess:
    """A witness's files (key, logs file) in ``directory``, not started."""
    directory.mkdir(parents=True, exist_ok=True)
    key = directory / "witness-key.pem"
    made = subprocess.run(
        [sys.executable, "-m", "sunshine.cli", "witness", "keys", "new", "--name", name,
         "--out", str(key)], cwd=ROOT, capture_output=True, text=True, check=True,
    )
    logs = directory / "logs.toml"
    logs.write_text("".join(f'[[log]]\nkey = "{v}"\n\n' for v in log_vkeys), encoding="utf-8")
    process = WitnessProcess(name, key, directory / "witness.db", logs, free_port())
    process.vkey = made.stdout.strip()
    return process
