"""The real app plus one trivial JSON POST route, for measuring this machine's HTTP ceiling.

    python -m uvicorn --app-dir benchmarks _bench_app:create --factory

The ceiling route goes through everything the order route does outside the handler (the access log,
the auth middleware, CSRF exemption, msgspec decoding of the same body, JSON encoding of an answer)
and does no database work — so orders_per_s / ceiling_per_s is the share left after the intake itself.
"""

from __future__ import annotations

from litestar import post
from litestar.params import JSONBody

from caoyuan.app import CaoyuanApp, create_app
from storefront.schemas import OrderIn

CEILING_PATH = "/api/bench/ceiling"


@post(CEILING_PATH, status_code=201, include_in_schema=False)
async def ceiling(data: JSONBody[OrderIn]) -> dict[str, int | str]:
    return {"pool_id": data.pool_id, "quantity": data.quantity, "status": "ok"}


def create() -> CaoyuanApp:
    app = create_app()
    app.register(ceiling)
    return app
