"""The log's C2SP tlog-tiles in an export, beside its checkpoint: ``log/tile/<L>/<N>[.p/<W>]``
and ``log/tile/entries/<N>[.p/<W>]``, so any static host mirrors the whole log and
``sunshine verify --tiles DIR`` (or a URL of the mirror) checks it without the service.

Incremental: a run writes only the tiles whose width changed since the tiles of the previous
run's checkpoint (full tiles are written once). Once a tile is full its partial versions
are removed, as the spec allows. Before the checkpoint they are for is written, the tiles
must give its root: an export never publishes tiles that do not match its checkpoint.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from ledger.log.merkle import root_at
from ledger.log.note import parse_checkpoint
from ledger.log.tile_store import LogTiles
from ledger.log.tiles import Tile, TileNodes, changed_tiles
from projections.export.files import ExportError, SiteDir

PREFIX = "log/"


def write_tiles(
    site: SiteDir,
    tiles: LogTiles,
    since: int,
    note: str,
    progress: Callable[[str, int, int], None],
) -> int:
    """Bring the export's tiles from the tree of ``since`` leaves to the one ``note`` signs;
    returns its size."""
    checkpoint = parse_checkpoint(note.split("\n\n", 1)[0] + "\n")
    size = checkpoint.size
    todo = list(changed_tiles(since, size))
    for done, tile in enumerate(todo, 1):
        site.write(PREFIX + tile.path(), tiles.hashes(tile))
        if tile.level == 0:
            bundle = tile.entries()
            site.write(PREFIX + bundle.path(), tiles.entries(bundle))
        if tile.full:
            _drop_partials(site, tile)
            if tile.level == 0:
                _drop_partials(site, tile.entries())
        progress("tiles", done, len(todo))
    written = TileNodes(lambda tile: _read(site, tile), size)
    if size and not hmac.compare_digest(root_at(size, written), checkpoint.root):
        raise ExportError(
            f"the tiles written for the checkpoint of size {size} do not give its root: the "
            "stored tree is damaged (`sunshine verify --db` names where)"
        )
    return size


def _read(site: SiteDir, tile: Tile) -> bytes:
    data = site.read(PREFIX + tile.path())
    if data is None:
        raise ExportError(f"{PREFIX}{tile.path()} is missing from the export")
    return data


def _drop_partials(site: SiteDir, tile: Tile) -> None:
    """The partial versions of a tile now full (``<path>.p/<W>``)."""
    partials = site.path(PREFIX + tile.path() + ".p")
    if partials.is_dir() and not partials.is_symlink():
        for old in partials.iterdir():
            if old.is_file() and not old.is_symlink():
                old.unlink()
        partials.rmdir()
