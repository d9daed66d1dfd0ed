"""The data node's Prometheus metrics (``GET /metrics``), one registry per node.

- ``govchain_node_requests_total{path, outcome, reason}``: requests answered, by outcome
  (served, refused, error) and refusal reason ("" when served).
- ``govchain_node_request_seconds{path}``: latency histogram, from the first byte read to the
  answer.
- ``govchain_node_chain_head_lag_seconds``: now minus the timestamp of the chain's latest block
  as the node reads it (a stalled or unreachable chain grows it; NaN when unreachable).
- ``govchain_node_anchoring_backlog``: records written to the store and not yet anchored
  (outbox rows pending or batched): what ``govchain node anchor`` has left to do.

The two gauges are read when scraped (one ``eth_getBlockByNumber``, one COUNT). With a token
(``[node] metrics_token_file``) a scrape must bear it (``Authorization: Bearer …``), else 401.
"""

from __future__ import annotations

import hmac
import math
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from govchain.node.store import BATCHED, PENDING, OutboxEntry, Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Gauges(Collector):
    def __init__(self, store: Store, chain: Any) -> None:
        self.store = store
        self.chain = chain

    def collect(self) -> Iterator[GaugeMetricFamily]:
        lag = GaugeMetricFamily(
            "govchain_node_chain_head_lag_seconds",
            "Seconds between now and the latest block the node reads",
        )
        lag.add_metric([], self._head_lag())
        yield lag
        backlog = GaugeMetricFamily(
            "govchain_node_anchoring_backlog", "Records in the store not yet anchored on chain"
        )
        with self.store.session() as s:
            count = s.scalar(
                select(func.count())
                .select_from(OutboxEntry)
                .where(OutboxEntry.state.in_((PENDING, BATCHED)))
            )
        backlog.add_metric([], float(count or 0))
        yield backlog

    def _head_lag(self) -> float:
        rpc = getattr(self.chain, "rpc", None)
        if rpc is None:
            return math.nan
        try:
            block = rpc("eth_getBlockByNumber", ["latest", False])
            return max(time.time() - int(block["timestamp"], 16), 0.0)
        except Exception:  # unreachable or a malformed answer: unknown, not an error page
            return math.nan


class MetricsGate:
    """Whether a scrape may read ``/metrics``: any, or one bearing ``token`` (which a reload
    may change)."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token

    def allows(self, authorization: str | None) -> bool:
        if self.token is None:
            return True
        expected = f"Bearer {self.token}".encode()
        return hmac.compare_digest((authorization or "").encode(), expected)


class NodeMetrics:
    """The metrics of one node: counters the HTTP layer feeds, gauges read on scrape."""

    def __init__(self, store: Store, chain: Any, gate: MetricsGate | None = None) -> None:
        self.gate = gate or MetricsGate()
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "govchain_node_requests",
            "Requests answered by the data node",
            ["path", "outcome", "reason"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "govchain_node_request_seconds",
            "Time to answer a request",
            ["path"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_Gauges(store, chain))

    def observe(self, path: str, outcome: str, reason: str | None, seconds: float) -> None:
        self.requests.labels(path, outcome, reason or "").inc()
        self.latency.labels(path).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE
