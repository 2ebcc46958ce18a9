"""/metrics: refused without the token; with it, the figures of issue 13 move as the app works."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from caoyuan.app import create_app
from caoyuan.db import create_database
from caoyuan.payments.client import PaymentError, gateway_for
from tests.alipay import pay_in_sandbox
from tests.factories.live import build
from tests.factories.shop import order_body

TOKEN = "m" * 32
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def metered(settings, db):  # type: ignore[no-untyped-def]
    app = create_app(settings.with_overrides(metrics_token=TOKEN), database=create_database(settings.database_url, 5))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


def value(text: str, name: str, **labels: str) -> float:
    """The sample ``name{labels}`` in Prometheus text (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def scrape(client: AsyncTestClient) -> str:
    response = await client.get("/metrics", headers=AUTH)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_metrics_refused_without_the_token(metered, client) -> None:  # type: ignore[no-untyped-def]
    assert (await metered.get("/metrics")).status_code == 401
    assert (await metered.get("/metrics", headers={"Authorization": "Bearer " + "x" * 32})).status_code == 401
    assert (await metered.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})).status_code == 401
    off = await client.get("/metrics", headers=AUTH)  # the ordinary app: no token configured, metrics off
    assert off.status_code == 404 and "caoyuan_" not in off.text


async def test_requests_orders_refusals_and_pool_are_counted(metered, db, make_user) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user, shelf_qty=1)
    before = await scrape(metered)
    url = f"/api/live/sessions/{sc.session_id}/orders"
    made = await metered.post(
        url, headers={"Idempotency-Key": str(uuid.uuid4())}, json={"pool_id": sc.pool_id, **order_body()}
    )
    assert made.status_code == 201
    again = await metered.post(
        url,
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"pool_id": sc.pool_id, **order_body(phone="13800000002")},
    )
    assert again.status_code == 409 and again.json()["code"] == "sold_out"
    await pay_in_sandbox(metered, made.json()["pay_url"])
    after = await scrape(metered)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    template = "/api/live/sessions/{session_id}/orders"
    assert delta("caoyuan_http_request_duration_seconds_count", method="POST", route=template, status="201") == 1
    assert delta("caoyuan_http_request_duration_seconds_count", method="POST", route=template, status="409") == 1
    assert delta("caoyuan_orders_total", event="placed") == 1
    assert delta("caoyuan_orders_total", event="paid") == 1
    assert delta("caoyuan_intake_refusals_total", code="sold_out") == 1
    pool = metered.app.state.database.engine.pool
    assert value(after, "caoyuan_db_pool_capacity") == pool.size() + pool._max_overflow
    assert "caoyuan_db_pool_in_use" in after and "caoyuan_feed_subscribers" in after
    unknown = await metered.get("/no/such/page/12345")
    assert unknown.status_code == 404
    text = await scrape(metered)
    assert "/no/such/page" not in text  # unmatched paths share one label: no unbounded label values
    assert value(text, "caoyuan_http_request_duration_seconds_count", route="<unmatched>", status="404") >= 1


async def test_a_rolled_back_order_is_not_counted(metered, db, make_user) -> None:  # type: ignore[no-untyped-def]
    from caoyuan.web import metrics

    before = metrics.ORDERS.labels("placed")._value.get()
    async with db.sessionmaker() as session:
        await session.execute(sa.text("SELECT 1"))  # a transaction is open
        metrics.count_on_commit(session, "placed")
        await session.rollback()
        await session.commit()  # a later commit of the same session must not count the rolled-back one
    assert metrics.ORDERS.labels("placed")._value.get() == before
    async with db.session() as session:
        metrics.count_on_commit(session, "placed")
    assert metrics.ORDERS.labels("placed")._value.get() == before + 1


async def test_unreachable_gateway_is_an_outcome(metered) -> None:  # type: ignore[no-untyped-def]
    from caoyuan.payments.client import AlipayGateway

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    real = gateway_for(metered.app)
    gateway = AlipayGateway(real.config, transport=httpx.MockTransport(refuse))
    before = value(await scrape(metered), "caoyuan_alipay_call_duration_seconds_count", outcome="unreachable")
    with pytest.raises(PaymentError):
        await gateway.query("CY0000")
    await gateway.aclose()
    after = value(await scrape(metered), "caoyuan_alipay_call_duration_seconds_count", outcome="unreachable")
    assert after - before == 1
    assert 'method="alipay.trade.query"' in await scrape(metered)


def test_the_request_tally_reads_as_prometheus_clients_own_histogram() -> None:
    """The lock-free tally must expose exactly what prometheus_client's Histogram would for the same requests,
    a request of exactly a bucket's bound counted in that bucket."""
    from prometheus_client import CollectorRegistry, Histogram, generate_latest

    from caoyuan.web.metrics import LATENCY_BUCKETS, RequestTally

    theirs_registry, ours_registry = CollectorRegistry(), CollectorRegistry()
    theirs = Histogram(
        RequestTally.name,
        RequestTally.documentation,
        list(RequestTally.labels),
        buckets=LATENCY_BUCKETS,
        registry=theirs_registry,
    )
    ours = RequestTally(LATENCY_BUCKETS)
    ours_registry.register(ours)
    requests = [("GET", "/a", 200, s) for s in (0.0, 0.004, 0.005, 0.0051, 0.25, 3.0, 10.0, 11.5)]
    requests += [("POST", "/a", 409, 0.02), ("GET", "/a", 500, 0.7)]
    for method, route, status, seconds in requests:
        theirs.labels(method, route, str(status)).observe(seconds)
        ours.observe(method, route, status, seconds)

    def samples(registry: CollectorRegistry) -> list[str]:
        text = generate_latest(registry).decode()
        return sorted(line for line in text.splitlines() if not line.startswith("#") and "_created" not in line)

    assert samples(ours_registry) == samples(theirs_registry)
    assert 'le="0.005",method="GET",route="/a",status="200"} 3.0' in "\n".join(
        samples(ours_registry)
    )  # 0, 0.004, 0.005
