"""Prometheus metrics of the publisher.

Two sources, because workers run in several processes:

* ``QueueCollector`` reads the shared tables at each scrape, so any process (the API's
  ``GET /metrics`` or a worker's metrics port) shows the whole queue: jobs by destination
  and state, the attempts and failed attempts recorded on them, and each destination's
  disabled and circuit state;
* ``WorkerMetrics`` counts what this process did: attempts by outcome, failures by reason,
  request latency, and the lag from planning a job to its delivery (event to delivered).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from publisher.schema import STATES
from publisher.store import JobStore

logger = logging.getLogger("sunshine.publisher")

LATENCY_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LAG_BUCKETS: Final = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 30.0, 60.0, 300.0, 3600.0, 86400.0)


class QueueCollector(Collector):
    def __init__(self, store: JobStore):
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        try:
            counts = self.store.counts()
            totals = self.store.attempt_totals()
            destinations = self.store.destinations()
        except Exception:  # a scrape must not fail the page; the log says why
            logger.exception("publisher metrics: cannot read the queue")
            return
        names = sorted({d.name for d in destinations} | {d for d, _ in counts})
        depth = GaugeMetricFamily(
            "sunshine_publisher_queue_depth", "Delivery jobs by destination and state",
            labels=["destination", "state"],
        )  # fmt: skip
        for name in names:
            for state in STATES:
                depth.add_metric([name, state], counts.get((name, state), 0))
        yield depth
        attempts = CounterMetricFamily(
            "sunshine_publisher_recorded_attempts",
            "HTTP attempts recorded on delivery jobs, every worker", labels=["destination"],
        )  # fmt: skip
        failed = CounterMetricFamily(
            "sunshine_publisher_recorded_failures",
            "Failed HTTP attempts recorded on delivery jobs, every worker",
            labels=["destination"],
        )
        for name in names:
            made, failures = totals.get(name, (0, 0))
            attempts.add_metric([name], made)
            failed.add_metric([name], failures)
        yield attempts
        yield failed
        now = time.time()
        disabled = GaugeMetricFamily(
            "sunshine_publisher_destination_disabled",
            "1 when the destination answered 410 Gone and was disabled", labels=["destination"],
        )  # fmt: skip
        circuit = GaugeMetricFamily(
            "sunshine_publisher_circuit_open",
            "1 while the destination's circuit is open (no requests sent)",
            labels=["destination"],
        )
        for d in destinations:
            disabled.add_metric([d.name], 0 if d.disabled_at is None else 1)
            circuit.add_metric([d.name], 1 if d.open_until > now else 0)
        yield disabled
        yield circuit


class WorkerMetrics:
    """What this process's workers did."""

    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        self.attempts = Counter(
            "sunshine_publisher_attempts", "HTTP delivery attempts by outcome",
            ["destination", "outcome"], registry=self.registry,
        )  # fmt: skip
        self.failures = Counter(
            "sunshine_publisher_failures", "Failed delivery attempts by reason",
            ["destination", "reason"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "sunshine_publisher_request_seconds", "Time for one delivery request",
            ["destination"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.lag = Histogram(
            "sunshine_publisher_delivery_lag_seconds",
            "From a job planned (its notice in the log) to the site's 2xx",
            ["destination"], buckets=LAG_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.dead_letters = Counter(
            "sunshine_publisher_dead_letters", "Jobs given up after their retries",
            ["destination"], registry=self.registry,
        )  # fmt: skip
        self.receipts = Counter(
            "sunshine_publisher_receipts", "Receipts appended to the ledger",
            ["kind"], registry=self.registry,
        )  # fmt: skip
        self.receipt_errors = Counter(
            "sunshine_publisher_receipt_errors", "Receipts the ledger did not take (retried)",
            registry=self.registry,
        )  # fmt: skip

    def attempt(self, destination: str, reason: str, status: int | None, seconds: float) -> None:
        self.attempts.labels(destination, reason).inc()
        self.latency.labels(destination).observe(seconds)
        if reason != "success":
            detail = reason if status is None else f"{reason}_{status}"
            self.failures.labels(destination, detail).inc()


def registry_for(store: JobStore, worker: WorkerMetrics | None = None) -> CollectorRegistry:
    """The queue's metrics, with this process's worker metrics when it runs workers."""
    registry = worker.registry if worker is not None else CollectorRegistry()
    registry.register(QueueCollector(store))
    return registry
