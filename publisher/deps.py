"""What a route of the publisher may be given, as ``Annotated`` FastAPI dependencies.

The ledger's signed requests (``ledger.deps``), passed on, and what the publisher owns on
the API: the delivery job store, the queue's metrics and the operator's metrics token. The
composition root (``sunshine.bootstrap``) builds them before the application serves, the
job tables included, and puts them on it with ``provide``; no route creates one. The
publisher's routers take their dependencies from this module alone (why one module per
package: ``ledger.deps``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from ledger.deps import SignedRequestsDep
from publisher.store import JobStore

__all__ = [
    "JobStoreDep",
    "MetricsDep",
    "MetricsTokenDep",
    "PublisherResources",
    "SignedRequestsDep",
    "provide",
]


@dataclass(frozen=True)
class PublisherResources:
    """What the publisher's routes on the API keep."""

    jobs: JobStore
    metrics: CollectorRegistry  # the queue's metrics, read from the job tables at each scrape
    metrics_token: str | None  # the operator's bearer token for GET /metrics; None: not served


def provide(app: Starlette, resources: PublisherResources) -> None:
    """Give ``app`` the publisher's resources (the composition root, before the app serves)."""
    app.state.publisher = resources


def _resources(request: Request) -> PublisherResources:
    resources = getattr(request.app.state, "publisher", None)
    if not isinstance(resources, PublisherResources):
        raise RuntimeError(
            "the application was not given the publisher's resources (sunshine.bootstrap)"
        )
    return resources


_Resources = Annotated[PublisherResources, Depends(_resources)]


def _jobs(resources: _Resources) -> JobStore:
    return resources.jobs


def _metrics(resources: _Resources) -> CollectorRegistry:
    return resources.metrics


def _metrics_token(resources: _Resources) -> str | None:
    return resources.metrics_token


JobStoreDep = Annotated[JobStore, Depends(_jobs)]
MetricsDep = Annotated[CollectorRegistry, Depends(_metrics)]
MetricsTokenDep = Annotated[str | None, Depends(_metrics_token)]
