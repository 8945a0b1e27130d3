"""The Makefile's targets run what the README says they do."""

from __future__ import annotations

import shutil
import subprocess

from conftest import ROOT


def planned(*args: str) -> str:
    """The commands `make ARGS` would run, without running them."""
    make = shutil.which("make")
    assert make is not None, "make is needed: apt-get install make"
    done = subprocess.run(
        [make, "-n", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def test_make_demo_serves_on_the_port_it_is_given() -> None:
    assert "sunshine demo --port 8000" in planned("demo")
    assert "sunshine demo --port 8080" in planned("demo", "PORT=8080")
