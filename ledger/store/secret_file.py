"""Secret files (the log key, the sealed-value key): created once, whole, mode 0600."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's bytes, writing `make()` there first if it does not exist yet.

    The new content is written whole to a private temporary file (mkstemp: mode 0600)
    and linked into place. Linking fails if another process got there first, so every
    concurrent starter ends up with the same secret and nobody reads half of one.
    """
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    content = make()
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return path.read_bytes()
    finally:
        os.unlink(temporary)
    return content
