"""The server's own account of a run: scrape ``/metrics`` (CAOYUAN_METRICS_TOKEN) and sum up the intake.

What the load generator saw is one side; the server's counters are the other (orders counted at commit,
refusals by code, the order route's requests and latency as the server timed them, the feed's lag, how many
orders each intake statement carried).
"""

from __future__ import annotations

from typing import Any

TOKEN = "bench-metrics-" + "t" * 24  # the benchmark's own server: any token will do
ENV = {"CAOYUAN_METRICS_TOKEN": TOKEN}


def scrape(base: str) -> str:
    import httpx

    answer = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    answer.raise_for_status()
    return answer.text


def summary(text: str, route_part: str = "/orders") -> dict[str, Any]:
    """Orders placed, refusals by code, the POST order route's requests by status with latency, feed lag."""
    from prometheus_client.parser import text_string_to_metric_families

    out: dict[str, Any] = {"orders_placed": 0, "intake_refusals": {}, "order_route": {}, "feed_lag_events": None}
    buckets: dict[float, float] = {}
    route: dict[str, Any] = {"requests": 0, "statuses": {}, "seconds_sum": 0.0}
    batch = {"statements": 0, "orders": 0, "failed": 0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            name, labels, value = sample.name, sample.labels, sample.value
            if name == "caoyuan_orders_total" and labels.get("event") == "placed":
                out["orders_placed"] = int(value)
            elif name == "caoyuan_intake_refusals_total":
                out["intake_refusals"][labels["code"]] = int(value)
            elif name == "caoyuan_feed_lag_events":
                out["feed_lag_events"] = int(value)
            elif name.startswith("caoyuan_http_request_duration_seconds") and _order_route(labels, route_part):
                _route_sample(route, buckets, name, labels, value)
            elif name == "caoyuan_intake_batch_orders_count":
                key = "failed" if labels.get("outcome") == "failed" else "statements"
                batch[key] += int(value)
            elif name == "caoyuan_intake_batch_orders_sum" and labels.get("outcome") != "failed":
                batch["orders"] += int(value)
    requests = route["requests"]
    route["mean_ms"] = round(route.pop("seconds_sum") / requests * 1000, 1) if requests else None
    route["p99_ms_at_most"] = _quantile(buckets, requests, 0.99)
    out["order_route"] = route
    batch["mean_orders"] = round(batch["orders"] / batch["statements"], 1) if batch["statements"] else None
    out["intake_batches"] = batch
    return out


def _order_route(labels: dict[str, str], part: str) -> bool:
    return labels.get("method") == "POST" and part in labels.get("route", "")


def _route_sample(route: dict, buckets: dict[float, float], name: str, labels: dict, value: float) -> None:
    if name.endswith("_count"):
        route["requests"] += int(value)
        route["statuses"][labels["status"]] = route["statuses"].get(labels["status"], 0) + int(value)
    elif name.endswith("_sum"):
        route["seconds_sum"] += value
    elif name.endswith("_bucket"):
        bound = float(labels["le"])
        buckets[bound] = buckets.get(bound, 0) + value


def _quantile(buckets: dict[float, float], total: int, q: float) -> float | None:
    """The upper bound of the histogram bucket holding the q-quantile (the server's own latency)."""
    if not total:
        return None
    for bound in sorted(buckets):
        if buckets[bound] >= q * total:
            return None if bound == float("inf") else round(bound * 1000, 1)
    return None
