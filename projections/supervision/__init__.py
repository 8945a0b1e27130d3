"""Supervisory views 监督视图 for inspectors: sign-in, history, deadlines, checkpoint stamps.

What other supervisory views use:

* ``projections.deps.InspectorDep`` (the signed-in ``Inspector``) on every route, and
  ``SupervisionRoute`` as the router's ``route_class`` so refusals are a Chinese page for a
  browser and JSON for an API client; ``Refused`` for a 4xx of their own;
* ``current_checkpoint(db, projection)`` for the ``Stamp`` a view was computed at, the
  ``supervision/_stamp.html`` partial (via ``supervision/base.html``) on the page, and
  ``Stamp.as_json`` / ``headers`` / ``comment_lines`` on exports.

The routers themselves are imported from their modules (``routes``, ``flags_routes``,
``statistics_routes``), not from here: they take their dependencies from
``projections.deps``, which needs ``auth`` from this package.
"""

from projections.supervision.auth import Inspector, Refused, SupervisionRoute, require_inspector
from projections.supervision.checkpoint import (
    Stamp,
    consistent_read,
    current_checkpoint,
    position_in,
    stamp_at,
)

__all__ = [
    "Inspector",
    "Refused",
    "Stamp",
    "SupervisionRoute",
    "consistent_read",
    "current_checkpoint",
    "position_in",
    "require_inspector",
    "stamp_at",
]
