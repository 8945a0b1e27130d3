"""The log as C2SP tlog-tiles under the log's prefix, ``/log``: ``/log/checkpoint`` (served by
``ledger.http``), ``/log/tile/<L>/<N>[.p/<W>]`` and ``/log/tile/entries/<N>[.p/<W>]``.

Full tiles never change and are cached as immutable; a partial tile's hashes never change
either, but it is superseded by a wider one as the log grows and may be dropped once its
full tile exists (the spec allows it), so caches keep it a minute only. Errors are never
cached: a tile beyond the signed checkpoint is 404 until the log reaches it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse, Response

from ledger.deps import LogDep
from ledger.domain.errors import Invalid, NotFound
from ledger.log.reader import LogReader
from ledger.log.tile_store import LogTiles
from ledger.log.tiles import Tile, TilePathError, parse_tile

FULL: Final = "public, max-age=31536000, immutable"
PARTIAL: Final = "public, max-age=60"

tiles = APIRouter(prefix="/log", tags=["log"])


@lru_cache(maxsize=4)
def _tiles_of(reader: LogReader) -> LogTiles:
    return LogTiles(reader.db)


def _tiles(log_view: LogDep) -> LogTiles:
    """One per log reader (one per process), so its cache of full tiles lasts."""
    return _tiles_of(log_view.reader)


TilesDep = Annotated[LogTiles, Depends(_tiles)]


@tiles.get(
    "/tile/{level}/{path:path}",
    summary="A tile of the Merkle tree, or an entry bundle (C2SP tlog-tiles)",
    description=(
        "`level` 0 to 63: up to 256 hashes of tree level 8·level (application/octet-stream, "
        "32 bytes each); `level` = `entries`: the leaves of level-0 tile N, each after its "
        "length as a big-endian uint16. `path` is the tile index in 3-digit elements, all "
        "but the last prefixed with x (1234067: `x001/x234/067`), and `.p/<W>` for a "
        "partial tile of W hashes. Only tiles within the latest signed checkpoint are served."
    ),
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}},
        400: {"description": "not a tile path in the spec's one spelling"},
        404: {"description": "beyond the latest signed checkpoint, or the log is empty"},
        503: {"description": "the stored tree is damaged"},
    },
)
def tile(
    level: Annotated[str, Path(max_length=8)],
    path: Annotated[str, Path(max_length=64)],
    log_tiles: TilesDep,
) -> Response:
    try:
        wanted: Tile = parse_tile(level, path)
    except TilePathError as problem:
        raise Invalid(str(problem), code="bad_request", status=400) from None
    try:
        body = log_tiles.tile(wanted)
    except NotFound as missing:
        return JSONResponse(
            missing.as_json(), status_code=404, headers={"Cache-Control": "no-store"}
        )
    return Response(
        body,
        media_type="application/octet-stream",
        headers={"Cache-Control": FULL if wanted.full else PARTIAL},
    )
