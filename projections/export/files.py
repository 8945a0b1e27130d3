"""The export directory: its state file, its lock, and atomic writes of only what changed.

Every file is written to a temporary file inside the export and renamed over its target
(``os.replace``, atomic within one file system): a web server serving the directory sees
the old bytes or the new, never half a file, and a crash leaves at worst a temporary file,
which the next run removes. A file whose bytes are already on disk is not touched, so its
modification time (and a web server's ETag) says when its content last changed.

The state file records the log position the export is complete up to. It is written last
in each pass, after the files it vouches for are on disk, so a run killed mid-way leaves
the previous position and the next run redoes (and completes) the interrupted pass.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, TextIO

import orjson

STATE: Final = ".sunshine-export.json"
LOCK: Final = ".sunshine-export.lock"
TEMP: Final = ".sunshine-export.tmp"
FORMAT: Final = 1


class ExportError(Exception):
    """An export that cannot go ahead; the message says why and what to do."""


@dataclass
class ExportState:
    """What the export in a directory holds: every public leaf below ``position``."""

    origin: str
    log_key: str
    position: int = 0
    checkpoint_size: int = 0
    #: The checkpoint the export was last completed against: the next must extend it.
    checkpoint: str = ""
    #: Digest of what pages look like (templates, code, options): on change, re-render all.
    fingerprint: str = ""
    #: Digest of every organisation's name: a rename changes the pages that show it.
    organisations: str = ""
    notices: int = 0
    #: The size of the tree the export's tiles are complete for (0 in exports made before
    #: tiles were: the next run writes them all).
    tiles_size: int = 0
    format: int = FORMAT

    def to_bytes(self) -> bytes:
        return orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2) + b"\n"

    @classmethod
    def parse(cls, raw: bytes, where: Path) -> ExportState:
        try:
            value = orjson.loads(raw)
            if not isinstance(value, dict) or value.get("format") != FORMAT:
                raise ValueError("unknown format")
            state = cls(**value)
        except (ValueError, TypeError) as exc:
            raise ExportError(
                f"{where} is not a state file this version can read ({exc})"
            ) from None
        if not isinstance(state.position, int) or state.position < 0:
            raise ExportError(f"{where}: position must be a non-negative integer")
        return state


class SiteDir:
    """An export directory, locked for one run; writes go through ``write``."""

    def __init__(self, root: Path):
        self.root = root
        self.real = root.resolve()
        self.temp = root / TEMP
        self.written: list[str] = []
        self.unchanged = 0
        self._lock: TextIO | None = None
        self._safe_dirs: set[Path] = set()

    # -- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, root: Path, origin: str, log_key: str) -> tuple[SiteDir, ExportState]:
        """Lock ``root`` and read its state; start a new export in a missing or empty one.

        Refuses a directory that holds anything but an export, an export of another log,
        and an export another run is writing.
        """
        if root.exists() and not root.is_dir():
            raise ExportError(f"{root} exists and is not a directory")
        root.mkdir(parents=True, exist_ok=True)
        site = cls(root)
        state_file = root / STATE
        if not state_file.is_file():
            # The lock and the temporary directory may be all a first run got to write.
            others = sorted(p.name for p in root.iterdir() if p.name not in (LOCK, TEMP))
            if others:
                raise ExportError(
                    f"{root} is not empty and holds no export ({STATE} is missing; found "
                    f"{', '.join(others[:3])}{', …' if len(others) > 3 else ''}): choose an "
                    "empty or new directory, or one `sunshine export-site` wrote"
                )
        site._take_lock()
        try:
            site._clear_temp()
            if state_file.is_file():
                state = ExportState.parse(state_file.read_bytes(), state_file)
                if (state.origin, state.log_key) != (origin, log_key):
                    raise ExportError(
                        f"{root} is an export of the log {state.origin} (key "
                        f"{_key_name(state.log_key)}), not of {origin} (key "
                        f"{_key_name(log_key)}): export each log to a directory of its own"
                    )
            else:
                state = ExportState(origin=origin, log_key=log_key)
                site.save_state(state)  # from now on the directory is recognisably an export
        except BaseException:
            site.close()
            raise
        return site, state

    def _take_lock(self) -> None:
        handle = (self.root / LOCK).open("a", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise ExportError(f"another `sunshine export-site` is writing {self.root}") from None
        self._lock = handle

    def _clear_temp(self) -> None:
        """Remove what a killed run left half-written; only our own temporary directory."""
        if self.temp.is_symlink() or (self.temp.exists() and not self.temp.is_dir()):
            self.temp.unlink()  # never follow it: its target is outside the export
        self.temp.mkdir(exist_ok=True)
        for leftover in os.scandir(self.temp):
            if leftover.is_file(follow_symlinks=False) or leftover.is_symlink():
                os.unlink(leftover.path)

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()  # releases the flock
            self._lock = None

    # -- writing ------------------------------------------------------------------------

    def path(self, relative: str) -> Path:
        parts = relative.split("/")
        if not relative or any(p in ("", ".", "..") for p in parts) or relative.startswith("/"):
            raise ValueError(f"not a path inside the export: {relative!r}")
        return self.root.joinpath(*parts)

    def read(self, relative: str) -> bytes | None:
        try:
            return self.path(relative).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, relative: str, data: bytes) -> bool:
        """Atomically put ``data`` at ``relative`` unless it is there already; True if written."""
        target = self.path(relative)
        if self.read(relative) == data:
            self.unchanged += 1
            return False
        self._make_parent(target.parent)
        self._replace(target, data)
        self.written.append(relative)
        return True

    def _make_parent(self, parent: Path) -> None:
        if parent in self._safe_dirs:
            return
        # A symlinked directory planted in the export would carry writes outside it:
        # checked before anything is made (resolve follows the links that exist).
        if not parent.resolve().is_relative_to(self.real):
            raise ExportError(f"{parent} leads outside {self.root}; refusing to write there")
        parent.mkdir(parents=True, exist_ok=True)
        self._safe_dirs.add(parent)

    def _replace(self, target: Path, data: bytes) -> None:
        temporary = self.temp / f"{secrets.token_hex(8)}.part"
        with temporary.open("wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)  # readable by the web server, whatever the umask of runs
        os.replace(temporary, target)

    def save_state(self, state: ExportState) -> None:
        """Commit a pass: flush every file written so far, then the state that vouches for them."""
        os.sync()  # the state must never claim files a power cut could still lose
        self._replace(self.root / STATE, state.to_bytes())

    def __enter__(self) -> SiteDir:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _key_name(log_key: str) -> str:
    return "+".join(log_key.split("+")[:2])
