"""Running the publisher beside a ledger: for `sunshine publish`, and for `sunshine demo`,
which pushes its year to a local procurement website (``demo.site``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from publisher.config import PublisherConfig, load_destinations
from publisher.metrics import WorkerMetrics
from publisher.worker import Publisher
from sunshine.app import background_integrator
from sunshine.bootstrap import open_ledger
from sunshine.demo_setup import DEMO_MARKER
from sunshine.settings import Settings

#: The demo's publishing service (an actor of role ``publisher`` in the demo registry).
DEMO_PUBLISHER = "qhx-fbfw-svc"
#: The demo site's Standard Webhooks secret: public knowledge, like the demo keys.
DEMO_SECRET = "whsec_c3Vuc2hpbmUgZGVtbyBzaXRlIHNlY3JldCBrZXkhISE="  # noqa: S105
DEMO_SITE = "chengxi-demo-site"
DEMO_SITE_TITLE = "澄溪县政府采购网（演示接收站）"



@contextmanager
def running_publisher(
    settings: Settings,
    config: PublisherConfig,
    key: Ed25519PrivateKey,
    workers: int,
    metrics: WorkerMetrics | None = None,
) -> Iterator[Publisher]:
    """A publisher set up on the settings' ledger (tables, destinations, backfill), not yet
    started; its receipts are integrated into the log by a thread of its own."""
    # Receipts need not wait for their leaves (the planner and verifiers read them later),
    # nor be integrated one command at a time, each with a checkpoint of its own (SQLite's
    # default): the background integrator appends them in batches.
    ledger = open_ledger(settings, leaf_wait_seconds=0.0, inline_integration=False)
    integrator = None
    try:
        publisher = Publisher(ledger, config, key, workers=workers, metrics=metrics)
        publisher.setup()
        if not ledger.inline_integration:
            integrator = background_integrator(ledger)
            integrator.start()
        yield publisher
    finally:
        if integrator is not None:
            integrator.stop()
            ledger.integrator.integrate()  # the last receipts become leaves before we go
        ledger.close()


def demo_destinations(path: Path, site_url: str) -> PublisherConfig:
    """Write the demo's destinations file (an example a newcomer can copy) and load it."""
    path.write_text(
        f"""# Made by `sunshine demo`: the demo year is pushed to a local procurement website.
# For a real site, start from publisher/destinations.example.toml (see publisher/README.md).

[publisher]
poll_interval = "1s"
# Every notice pushed says that it is demo data (the county and its bodies are invented).
marker = "{DEMO_MARKER}"

[[destination]]
name = "{DEMO_SITE}"
title = "{DEMO_SITE_TITLE}"   # the name pages show; receipts carry it
url = "{site_url}"
# A loopback address is refused unless a destination says so.
allow_private = true
# Standard Webhooks v1 (HMAC) beside the Ed25519 v1a signature every site gets.
secret = "{DEMO_SECRET}"
# Not a required site: the demo year's notices are months old, and a required site would
# record every one of them as published late (finding notice_published_on_website).
required = false
timeout = "5s"
""",
        encoding="utf-8",
    )
    return load_destinations(path)
