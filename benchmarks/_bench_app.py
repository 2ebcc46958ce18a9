"""The real app plus two trivial routes (a JSON POST and a GET), for measuring this machine's HTTP ceiling.

    python -m uvicorn --app-dir benchmarks _bench_app:create --factory

The ceiling route goes through everything the order route does outside the handler (the access log,
the auth middleware, CSRF exemption, msgspec decoding of the same body, JSON encoding of an answer)
and does no database work — so orders_per_s / ceiling_per_s is the share left after the intake itself.
The GET ``/api/bench/ping`` is the same for the public reads: the app's whole path around a handler that
answers at once.
"""

from __future__ import annotations

from litestar import get, post
from litestar.params import JSONBody

from caoyuan.app import CaoyuanApp, create_app
from storefront.schemas import OrderIn

CEILING_PATH = "/api/bench/ceiling"
PING_PATH = "/api/bench/ping"


@post(CEILING_PATH, status_code=201, include_in_schema=False)
async def ceiling(data: JSONBody[OrderIn]) -> dict[str, int | str]:
    return {"pool_id": data.pool_id, "quantity": data.quantity, "status": "ok"}


@get(PING_PATH, include_in_schema=False)
async def ping() -> dict[str, str]:
    return {"status": "ok"}


def create() -> CaoyuanApp:
    app = create_app()
    app.register(ceiling)
    app.register(ping)
    return app
