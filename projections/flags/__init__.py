"""Red flags 预警: a projection that raises them as leaves arrive, and the queries that read them.

The modules, each importing only those listed before it: ``kinds`` (what a flag is called),
``config`` (thresholds, ``flags.toml``), ``store`` (tables and writes), ``rules`` (pure
rules), ``clocks`` (statutory clocks followed), ``run`` (one leaf being applied), ``groups``
(window and award rules), ``handlers`` (one per event type), ``projection`` (the follower's
projection); ``queries`` reads what they wrote.
"""

from projections.flags.config import FlagConfig, FlagConfigError, load_flag_config
from projections.flags.kinds import SEVERITIES, FlagKind
from projections.flags.projection import FlagsProjection

__all__ = [
    "SEVERITIES",
    "FlagConfig",
    "FlagConfigError",
    "FlagKind",
    "FlagsProjection",
    "load_flag_config",
]
