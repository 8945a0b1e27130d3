"""Following the log in the background: one loop for the integrator, the projections and the
publisher's planner.

Each runs one step at a time until stopped: again at once when the step moved on (there may
be more), after ``idle_seconds`` when it had nothing to do, and a second after a step that
failed, which is logged and retried (a database that went away comes back).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

#: How long a loop waits after a failed step before it tries again.
RETRY_SECONDS = 1.0


def follow(
    stop: threading.Event,
    step: Callable[[], bool],
    idle_seconds: float,
    what: str,
    log: logging.Logger,
) -> None:
    """Run ``step`` until ``stop`` is set; ``step`` says whether it moved on."""
    while not stop.is_set():
        try:
            if step():
                continue
        except Exception:
            log.exception("%s failed; retrying", what)
            stop.wait(RETRY_SECONDS)
        stop.wait(idle_seconds)


class FollowLoop:
    """``follow`` in a thread of its own, started and stopped with the service."""

    def __init__(
        self, name: str, step: Callable[[], bool], idle_seconds: float, log: logging.Logger
    ) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=follow,
            args=(self._stop, step, idle_seconds, name, log),
            name=name,
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)
