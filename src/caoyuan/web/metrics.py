"""Prometheus metrics of this process, served at ``/metrics`` to a caller holding CAOYUAN_METRICS_TOKEN.

Each process keeps its own figures (Prometheus scrapes every pod); nothing is shared between processes.
Domains count through the small API below (``count_on_commit``, ``intake_refused``) and never import
prometheus_client. Business counts (orders placed, paid…) are added when their transaction commits, so a
rolled-back request counts nothing.

The request middleware is on every request's path, so its work is kept to one clock read at each end and
one observation in ``RequestTally``: a bisect and two additions, where prometheus_client's histogram takes a
lock for each bucket and for the sum (≈ 1.3 µs a request, a tenth of what the app adds to bare Litestar).
"""

from __future__ import annotations

import hmac
from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from litestar import Request, Response, get
from litestar.types import Scope
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.utils import floatToGoString
from sqlalchemy import event

from caoyuan.db.after_commit import after_commit

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
UNMATCHED = "<unmatched>"  # 404s and 405s: one label, whatever path was asked for

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

ORDERS = Counter("caoyuan_orders", "Orders by what happened to them (counted at commit)", ["event"], registry=REGISTRY)
INTAKE_REFUSALS = Counter("caoyuan_intake_refusals", "Orders refused at intake, by code", ["code"], registry=REGISTRY)
JOB_RUNS = Counter("caoyuan_background_runs", "Background job rounds", ["job"], registry=REGISTRY)
JOB_FAILURES = Counter("caoyuan_background_failures", "Background job rounds that failed", ["job"], registry=REGISTRY)
JOB_SECONDS = Histogram(
    "caoyuan_background_duration_seconds", "Background job round duration", ["job"], registry=REGISTRY
)
ALIPAY_SECONDS = Histogram(
    "caoyuan_alipay_call_duration_seconds",
    "Alipay gateway calls by method and outcome, with their latency",
    ["method", "outcome"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
DB_POOL_EXHAUSTED = Counter(
    "caoyuan_db_pool_exhausted",
    "Checkouts that took the pool's last connection (the next checkout waits until one comes back)",
    registry=REGISTRY,
)
SHUTTING_DOWN = Gauge("caoyuan_draining", "1 while this process drains after SIGTERM", registry=REGISTRY)


# ---------------------------------------------------------------- the API domains use


def count_on_commit(session: Any, what: str, n: int = 1) -> None:
    """Count an order event (``placed``, ``paid``, ``expired``, ``refunded``…) when ``session`` commits."""
    after_commit(session, lambda: ORDERS.labels(what).inc(n), immediate=True)


def intake_refused(code: str) -> None:
    INTAKE_REFUSALS.labels(code).inc()


# ---------------------------------------------------------------- kernel instruments


def observe_job(job: str, seconds: float, failed: bool) -> None:
    JOB_RUNS.labels(job).inc()
    JOB_SECONDS.labels(job).observe(seconds)
    if failed:
        JOB_FAILURES.labels(job).inc()


def observe_alipay(method: str, outcome: str, seconds: float) -> None:
    ALIPAY_SECONDS.labels(method, outcome).observe(seconds)


class _LiveFigures:
    """Gauges read when scraped: the feed's readers and lag, the database pool. Sources are registered by
    the app (a process may hold several apps in tests; the newest one's figures are shown)."""

    def __init__(self) -> None:
        self.pool: Any = None
        self.feed: Callable[[], tuple[int, int]] | None = None

    def describe(self) -> list:
        return []

    def collect(self) -> Any:
        if self.feed is not None:
            readers, lag = self.feed()
            yield GaugeMetricFamily("caoyuan_feed_subscribers", "Feed websockets open in this process", readers)
            yield GaugeMetricFamily(
                "caoyuan_feed_lag_events",
                "Events this process has read from the database but not yet sent to its slowest socket",
                lag,
            )
        pool = self.pool
        if pool is not None and hasattr(pool, "checkedout"):
            yield GaugeMetricFamily("caoyuan_db_pool_in_use", "Database connections checked out", pool.checkedout())
            yield GaugeMetricFamily("caoyuan_db_pool_idle", "Database connections idle in the pool", pool.checkedin())
            yield GaugeMetricFamily(
                "caoyuan_db_pool_capacity", "Pool size plus overflow", pool.size() + max(pool._max_overflow, 0)
            )


LIVE = _LiveFigures()
REGISTRY.register(LIVE)


def watch_pool(engine: Any) -> None:
    """Show ``engine``'s pool and count the checkouts that exhaust it."""
    pool = engine.sync_engine.pool
    LIVE.pool = pool
    if not hasattr(pool, "checkedout") or getattr(pool, "_caoyuan_watched", False):
        return
    capacity = pool.size() + max(pool._max_overflow, 0)

    def on_checkout(_dbapi: Any, _record: Any, _proxy: Any) -> None:
        if pool.checkedout() >= capacity:
            DB_POOL_EXHAUSTED.inc()

    event.listen(pool, "checkout", on_checkout)
    pool._caoyuan_watched = True


def watch_feed(figures: Callable[[], tuple[int, int]]) -> None:
    LIVE.feed = figures


# ---------------------------------------------------------------- requests


class RequestTally:
    """``caoyuan_http_request_duration_seconds``: a Prometheus histogram by (method, route template, status).

    Kept as plain counts, without locks: requests are observed only by the event loop's thread, and a scrape
    (on that loop too) reads them between two requests."""

    name = "caoyuan_http_request_duration_seconds"
    documentation = "HTTP requests by route template and status, with their latency"
    labels = ("method", "route", "status")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.les = [floatToGoString(bound) for bound in bounds] + ["+Inf"]
        # a row: one count per bucket (not cumulative; the last is above every bound), then the sum of seconds
        self.rows: dict[tuple[str, str, int], list[float]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        row = self.rows.get((method, route, status))
        if row is None:
            row = self.rows[(method, route, status)] = [0] * (len(self.bounds) + 2)
        row[bisect_left(self.bounds, seconds)] += 1  # le: a request of exactly a bound is in that bound's bucket
        row[-1] += seconds

    def describe(self) -> list[HistogramMetricFamily]:
        return [HistogramMetricFamily(self.name, self.documentation, labels=self.labels)]

    def collect(self) -> Any:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labels)
        for (method, route, status), row in list(self.rows.items()):
            running, buckets = 0, []
            for le, count in zip(self.les, row, strict=False):
                running += int(count)
                buckets.append((le, running))
            family.add_metric([method, route, str(status)], buckets, sum_value=row[-1])
        yield family


HTTP_SECONDS = RequestTally(LATENCY_BUCKETS)
REGISTRY.register(HTTP_SECONDS)


def observe_request(scope: Scope, status: int, seconds: float) -> None:
    """One request's latency by route template and status (called by the access-log middleware, which
    already times every request: one wrapper per request, not two)."""
    HTTP_SECONDS.observe(scope["method"], scope.get("path_template") or UNMATCHED, status, seconds)  # type: ignore[typeddict-item]


# ---------------------------------------------------------------- the endpoint


def _authorised(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(value.encode(), token.encode())


@get("/metrics", include_in_schema=False, sync_to_thread=False)
def metrics_endpoint(request: Request) -> Response[bytes]:
    """Prometheus text format; refused without ``Authorization: Bearer $CAOYUAN_METRICS_TOKEN``."""
    token = request.app.state.settings.metrics_token
    if not token:
        return Response(b"metrics are off: set CAOYUAN_METRICS_TOKEN\n", status_code=404, media_type="text/plain")
    if not _authorised(request, token):
        return Response(
            b"metrics need the bearer token\n",
            status_code=401,
            media_type="text/plain",
            headers={"www-authenticate": "Bearer"},
        )
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
