"""Secret files (the log key, the sealed-value key, the lookup key, actors' keys): created
once, whole, mode 0600; refused when other users may read them."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

#: Permission bits of the group and others: a secret file has none of them.
SHARED_BITS = stat.S_IRWXG | stat.S_IRWXO


class ExposedSecretFile(ValueError):
    """A secret file other users may read or change: refused until its owner fixes it."""

    def __init__(self, path: Path, mode: int):
        self.path = path
        super().__init__(
            f"{path} is a secret file but its mode {mode:04o} lets other users read or change "
            f"it; fix with `chmod 600 {path}` (and replace the secret if it may have leaked)"
        )


def read_secret(path: Path) -> bytes:
    """The bytes of the secret file at `path`, refused when group or others have access.

    The mode is checked on the open file, so a file swapped between the check and the
    read is still the one checked."""
    with path.open("rb") as file:
        mode = os.fstat(file.fileno()).st_mode
        if mode & SHARED_BITS:
            raise ExposedSecretFile(path, stat.S_IMODE(mode))
        return file.read()


def write_secret(path: Path, content: bytes) -> None:
    """Write a new secret file whole, mode 0600; never overwrite one (FileExistsError)."""
    if not _link_new(path, content):
        raise FileExistsError(f"{path} exists; refusing to overwrite a secret file")


def read_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's bytes, writing `make()` there first if it does not exist yet.

    Every concurrent starter ends up with the same secret and nobody reads half of one
    (``_link_new``). An existing file that other users may read is refused
    (``ExposedSecretFile``).
    """
    if path.exists():
        return read_secret(path)
    content = make()
    return content if _link_new(path, content) else read_secret(path)


def _link_new(path: Path, content: bytes) -> bool:
    """Write `content` whole to a private temporary file (mkstemp: mode 0600, whatever the
    umask) and link it into place: False, writing nothing, if `path` exists already.
    Linking fails if another process got there first, so nobody sees half a secret."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
    finally:
        os.unlink(temporary)
    return True
