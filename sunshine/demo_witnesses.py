"""The demo's two witnesses, the 审计局 and the 纪委监委, each `sunshine witness serve` in a
process of its own beside the server, as they would run it on their own machines.

Their keys, state files and the logs files naming the demo log are under
``<demo dir>/witnesses/<code>/``; ``<demo dir>/witnesses.toml`` is the list the server sends
its checkpoints to (a starting point for a real one). Each listens on a port the system
chooses, which it prints once it listens.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from ledger.log.signer import public_verifier_key
from sunshine.settings import Settings
from witness.config import new_key, witness_vkey

#: (policy name, organisation code, witness key name)
DEMO_WITNESSES = (
    ("审计局", "qhx-sjj", "witness.qhx-sjj.localhost"),
    ("纪委监委", "qhx-jw", "witness.qhx-jw.localhost"),
)
_READY = re.compile(r"^witness \S+ \(\S+\) watching .* on (http://\S+)$")


@dataclass(frozen=True)
class DemoWitness:
    name: str
    url: str
    vkey: str


@contextmanager
def running_demo_witnesses(settings: Settings, host: str) -> Iterator[list[DemoWitness]]:
    """Start the demo's witnesses; set ``settings.witnesses`` to the list of them."""
    directory = settings.data_dir / "witnesses"
    log_vkey = public_verifier_key(
        settings.log_key or settings.data_dir / "log-key.pem", settings.log_origin
    )
    with ExitStack() as stack:
        running = []
        for name, code, key_name in DEMO_WITNESSES:
            home = directory / code
            home.mkdir(parents=True, exist_ok=True)
            key = new_key(home / "witness-key.pem")
            (home / "logs.toml").write_text(f'[[log]]\nkey = "{log_vkey}"\n', encoding="utf-8")
            url = stack.enter_context(witness_process(key_name, home, host))
            running.append(DemoWitness(name, url, witness_vkey(key_name, key)))
        listed = settings.data_dir / "witnesses.toml"
        listed.write_text(
            "# The witnesses the demo ledger sends every new checkpoint to (`sunshine serve "
            "--witnesses`).\n\n"
            + "".join(
                f'[[witness]]\nname = "{w.name}"\nurl = "{w.url}"\nkey = "{w.vkey}"\n\n'
                for w in running
            ),
            encoding="utf-8",
        )
        settings.witnesses = listed
        yield running


@contextmanager
def witness_process(name: str, home: Path, host: str) -> Iterator[str]:
    # Our own command line, with arguments the demo chose: no shell, nothing from outside.
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "sunshine.cli", "witness", "serve", "--name", name,
         "--key", str(home / "witness-key.pem"), "--db", str(home / "witness.db"),
         "--logs", str(home / "logs.toml"), "--host", host, "--port", "0"],
        stdout=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        ready = _READY.match(line)
        if ready is None:
            raise RuntimeError(f"the demo witness {name} did not start ({process.wait()})")
        yield ready.group(1)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        if process.stdout is not None:
            process.stdout.close()
