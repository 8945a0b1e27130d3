"""The third place `sunshine verify` reads a log from: its C2SP tlog-tiles, on a server or a
static host (``https://mirror.example/log``) or in a directory (an ``export-site`` export).

The entries come from the entry bundles; every hash tile is compared with the nodes the
verifier recomputes from those entries (``NodeCheck``), so a tile that disagrees with the
entries, or a bundle that disagrees with its level-0 tile, names the first entry it covers.
Nothing else is read but the checkpoint and, unless the key is pinned, ``key`` beside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from ledger.log.merkle import HASH_SIZE
from ledger.log.nodes import completed_ids
from ledger.log.tiles import HEIGHT, WIDTH, Tile, decode_bundle, tile_width, tiles_of
from ledger.verify import VerificationFailed

BUNDLES_PER_BATCH = 8  # 2,048 entries per batch handed to the verifier
AHEAD = 16  # bundles and level-0 tiles fetched ahead, concurrently, from a server


class TileLog:
    """A tiled log at ``location``: its prefix (where ``checkpoint`` is), or the directory
    or site above it that holds it as ``log/``."""

    def __init__(self, location: str, timeout: float = 30.0):
        self.remote = urlsplit(location).scheme in ("http", "https")
        self.client: httpx.Client | None = None
        self.root: Path | None = None
        if self.remote:
            self.client = httpx.Client(timeout=timeout, headers={"Accept-Encoding": "gzip"})
            base = location.rstrip("/")
        else:
            self.root = Path(location)
            if not self.root.is_dir():
                raise VerificationFailed(f"{location} is not a directory of tiles, nor a URL")
            base = ""
        self.pool = ThreadPoolExecutor(max_workers=4 if self.remote else 1)
        self.location = location
        self.base = base
        self.prefix = ""
        if self._get("checkpoint") is None:
            if self._get("log/checkpoint") is None:
                raise VerificationFailed(
                    f"no checkpoint at {location}: give the log's tile prefix (where "
                    "checkpoint and tile/ are), or the site or export directory holding log/"
                )
            self.prefix = "log/"

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)
        if self.client is not None:
            self.client.close()

    def where(self, path: str) -> str:
        return f"{self.base}/{self.prefix}{path}" if self.remote else str(self._file(path))

    def _file(self, path: str) -> Path:
        assert self.root is not None
        return self.root.joinpath(*(self.prefix + path).split("/"))

    def _get(self, path: str) -> bytes | None:
        """The resource at ``<prefix>/<path>``, or None if there is none."""
        if self.client is None:
            try:
                return self._file(path).read_bytes()
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                return None
            except OSError as exc:
                raise VerificationFailed(f"cannot read {self.where(path)}: {exc}") from None
        url = self.where(path)
        try:
            response = self.client.get(url)
        except httpx.HTTPError as exc:
            raise VerificationFailed(f"cannot reach {url}: {exc}") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise VerificationFailed(
                f"{url} answered {response.status_code}: {response.text[:200]}"
            )
        return response.content

    def _need(self, path: str, index: int | None = None) -> bytes:
        found = self._get(path)
        if found is None:
            raise VerificationFailed(f"the log's tiles lack {self.where(path)}", index)
        return found

    def checkpoint(self) -> bytes:
        return self._need("checkpoint")

    def key(self) -> str | None:
        found = self._get("key")
        return None if found is None else found.decode("utf-8", "replace").strip()

    def batches(self, size: int) -> Iterator[list[tuple[int, bytes]]]:
        """The entries, from the entry bundles of the tree of ``size``, a few tiles ahead."""
        count = -(-size // WIDTH)
        ahead: dict[int, Future[bytes]] = {}
        batch: list[tuple[int, bytes]] = []
        for n in range(count):
            for m in range(n, min(n + AHEAD, count)):
                if m not in ahead:
                    bundle = Tile(-1, m, tile_width(0, m, size))
                    ahead[m] = self.pool.submit(self._need, bundle.path(), bundle.first)
            bundle = Tile(-1, n, tile_width(0, n, size))
            raw = ahead.pop(n).result()
            try:
                leaves = decode_bundle(raw, bundle.width)
            except ValueError as problem:
                raise VerificationFailed(
                    f"{self.where(bundle.path())}: {problem}", bundle.first
                ) from None
            batch += [(bundle.first + i, leaf) for i, leaf in enumerate(leaves)]
            if len(batch) >= BUNDLES_PER_BATCH * WIDTH or n == count - 1:
                yield batch
                batch = []

    def prefetch(self, tile: Tile) -> Future[bytes]:
        return self.pool.submit(self._need, tile.path(), tile.first << (HEIGHT * tile.level))


class TileCheck:
    """Compares the nodes the verifier recomputes from the entries with the hash tiles of the
    tree of ``size``: every hash of every tile (level L holds the nodes of level 8·L)."""

    def __init__(self, log: TileLog, size: int):
        self.log = log
        self.size = size
        self.tiles = 0
        self.hashes = 0
        self._open: dict[tuple[int, int], bytes] = {}
        self._ahead: dict[tuple[int, int], Future[bytes]] = {}

    def _tile(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self._open:
            tile = Tile(level, index, tile_width(level, index, self.size))
            future = self._ahead.pop(key, None) or self.log.prefetch(tile)
            if level == 0:  # the next level-0 tiles, while this one is compared
                for n in range(index + 1, min(index + AHEAD, -(-self.size // WIDTH))):
                    if (0, n) not in self._ahead:
                        self._ahead[(0, n)] = self.log.prefetch(
                            Tile(0, n, tile_width(0, n, self.size))
                        )
            data = future.result()
            if len(data) != tile.width * HASH_SIZE:
                raise VerificationFailed(
                    f"{self.log.where(tile.path())} holds {len(data)} bytes, not {tile.width} "
                    f"hashes of {HASH_SIZE}",
                    tile.first << (HEIGHT * level),
                )
            self._open[key] = data
            self.tiles += 1
        return self._open[key]

    def __call__(self, start: int, end: int, computed: list[bytes]) -> None:
        for (level, idx), digest in zip(completed_ids(start, end), computed, strict=True):
            if level % HEIGHT:
                continue
            tile_level = level // HEIGHT
            n, offset = divmod(idx, WIDTH)
            data = self._tile(tile_level, n)
            if data[offset * HASH_SIZE : (offset + 1) * HASH_SIZE] != digest:
                first = idx << level
                tile = Tile(tile_level, n, len(data) // HASH_SIZE)
                covered = (
                    f"entry {first}"
                    if level == 0
                    else f"entries {first}–{((idx + 1) << level) - 1}"
                )
                raise VerificationFailed(
                    f"{self.log.where(tile.path())}: hash {offset} differs from the one "
                    f"{covered} give",
                    first,
                )
            self.hashes += 1
            if (offset + 1) * HASH_SIZE == len(data):
                del self._open[(tile_level, n)]  # done with it: memory stays flat

    def finish(self) -> None:
        """Every hash of every tile of the tree was compared (a sanity check of the walk)."""
        expected = sum(t.width for t in tiles_of(self.size))
        if self.hashes != expected:
            raise VerificationFailed(
                f"{self.hashes} tile hashes were compared, but the tree of size {self.size} "
                f"has {expected}"
            )
