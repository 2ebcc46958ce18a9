"""The sandbox on its own: a small Litestar app with just the gateway and the cashier.

The kernel app mounts the same routes itself; this one is for tests and benchmarks that want the
sandbox without every domain, and for running a pretend Alipay next to a service elsewhere.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import Database
from caoyuan.payments.sandbox import sandbox_routes
from caoyuan.settings import Settings


def create_sandbox_app(settings: Settings, database: Database) -> Litestar:
    async def provide_db() -> AsyncIterator[AsyncSession]:
        async with database.session() as session:
            yield session

    app = Litestar(
        route_handlers=sandbox_routes(),
        dependencies={
            "db": Provide(provide_db),
            "settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False),
            "database": Provide(lambda: database, use_cache=True, sync_to_thread=False),
        },
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="caoyuan_csrf",
            header_name="x-csrftoken",
            exclude=["/sandbox/alipay/gateway"],
        ),
        logging_config=None,
        debug=False,
    )
    app.state.settings = settings
    app.state.database = database
    return app
