"""Bare Litestar + msgspec, none of the app: the ceiling of this machine, server and framework.

    python -m uvicorn --app-dir benchmarks _bare_app:create --factory

The same paths and the same body as the trivial routes of ``_bench_app.py``, so trivial / bare is the share
the app's middleware, dependencies and settings leave of what the framework alone can do.
"""

from __future__ import annotations

import msgspec
from litestar import Litestar, get, post


class Order(msgspec.Struct):
    pool_id: int
    quantity: int
    phone: str
    name: str
    province: str
    city: str
    county: str
    detail: str


@post("/api/bench/ceiling", status_code=201)
async def ceiling(data: Order) -> dict[str, int | str]:
    return {"pool_id": data.pool_id, "quantity": data.quantity, "status": "ok"}


@get("/api/bench/ping")
async def ping() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz")
async def ready() -> dict[str, str]:
    return {"status": "ok"}


def create() -> Litestar:
    return Litestar([ceiling, ping, ready], openapi_config=None)
