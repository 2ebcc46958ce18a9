"""The app factory: kernel routes, then every installed domain's routes, templates and hooks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.static_files import create_static_files_router
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan import background
from caoyuan.auth.controllers import AuthApi, LoginPages, SetupLinkPages
from caoyuan.auth.current import auth_middleware
from caoyuan.db import Database, create_database, run_committed
from caoyuan.db.batches import finish as finish_batches
from caoyuan.db.metadata import load_all_models
from caoyuan.db.migrate import left_out, schema_state
from caoyuan.domains import installed_domains
from caoyuan.errors import KernelCode, code_table
from caoyuan.feed.hub import HUB, PostgresListener
from caoyuan.feed.tail import feed_figures
from caoyuan.payments.client import close_gateway
from caoyuan.settings import Settings, check_payments_mode, get_settings
from caoyuan.web import drain
from caoyuan.web.csrf import refuse_cached_routes_with_tokens
from caoyuan.web.errors import handle_exception
from caoyuan.web.health import Health
from caoyuan.web.heap import freeze_startup_heap
from caoyuan.web.logging import access_log_middleware, configure_logging
from caoyuan.web.metrics import metrics_endpoint, observe_request, watch_feed, watch_pool
from caoyuan.web.nav import features_of, nav_links, remember_features
from caoyuan.web.pages import AccountPages, HomePage
from caoyuan.web.telemetry import tracing_for
from caoyuan.web.templating import template_config

log = logging.getLogger("caoyuan.app")

# Paths that use no cookie (bearer API, signed payment callbacks, websockets) skip CSRF.
CSRF_EXEMPT = ["/api/", "/pay/", "/ws/", "/healthz", "/readyz", "/metrics"]
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SANDBOX_CSRF_EXEMPT = ["/sandbox/alipay/gateway"]  # only when the sandbox is mounted


def asyncpg_dsn(url: str) -> str:
    """SQLAlchemy's URL for asyncpg's own connect (the feed's LISTEN connection)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class NotMigrated(RuntimeError):
    pass


class CaoyuanApp(Litestar):
    """Litestar, with the access log around everything (route middleware misses 404s and 405s)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._logged_call = access_log_middleware(super().__call__, observe=observe_request)

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def,override]
        await self._logged_call(scope, receive, send)


async def ensure_migrated(database: Database, settings: Settings | None = None) -> None:
    state = await schema_state(database.engine)
    now = ", ".join(sorted(state.current)) or "空"
    if settings is not None and state.absent - left_out(
        settings
    ):  # e.g. the sandbox cashier on a database made without its tables
        raise NotMigrated(f"数据库缺少 {', '.join(sorted(state.absent))} 部分的表。请先运行：caoyuan db upgrade")
    if state.state == "behind":
        raise NotMigrated(
            f"数据库未迁移到最新版本（当前 {now}，最新 {', '.join(sorted(state.heads))}）。请先运行：caoyuan db upgrade"
        )
    if state.state == "ahead":  # upgrading would do nothing here: this code is the older one
        raise NotMigrated(
            f"数据库已由更新的版本迁移（当前 {now}，本程序不认识 {', '.join(sorted(state.unknown))}）。"
            "请部署新版本的程序；确需回退到旧版本，请恢复升级前做的备份（caoyuan db restore）"
        )


def create_app(settings: Settings | None = None, database: Database | None = None) -> CaoyuanApp:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    check_payments_mode(settings, warn=True)  # also for settings not made by load_settings
    load_all_models(optional=not left_out(settings))
    database = database or create_database(
        settings.database_url, settings.database_pool_size, pgbouncer=settings.database_pgbouncer
    )
    watch_pool(database.engine)
    domains = installed_domains()

    async def provide_db(request: Request) -> AsyncIterator[AsyncSession]:
        # One request, one transaction: committed when the handler returns, rolled back when it raises.
        # On SQLite a POST takes the write lock at its first statement (it waits for, rather than collides
        # with, other writers); a GET reads without it, so it never blocks a payment callback it triggers.
        maker = database.reader if request.method in READ_METHODS else database.sessionmaker
        async with maker() as session:  # type: ignore[misc]
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            await run_committed(session)  # after_commit work, e.g. calling Alipay once the change is durable

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if settings.check_migrations:
            await ensure_migrated(database, settings)
        HUB.bind(asyncio.get_running_loop())
        watch_feed(feed_figures)
        background.start_kernel_jobs(app)
        # LISTEN needs a session of its own: through PgBouncer's transaction pooling it would hear nothing.
        listener = None if settings.is_sqlite else PostgresListener(asyncpg_dsn(settings.listen_url))
        if listener:
            await listener.start()
        for domain in domains:
            for hook in domain.on_startup:
                await hook(app)
        undo_drain = drain.install(app, settings.shutdown_drain_s)
        if settings.environment != "test":  # a test process makes hundreds of apps: their heaps must go
            freeze_startup_heap()  # long-lived start-up objects out of the GC's full sweeps (web/heap.py)
        try:
            yield
        finally:
            undo_drain()
            await background.stop_all(app)
            if listener:
                await listener.stop()
            for domain in reversed(domains):
                for hook in domain.on_shutdown:
                    await hook(app)
            await close_gateway(app)
            await finish_batches(database.engine)  # their connections back before the pool closes
            await database.dispose()

    handlers: list[Any] = [
        Health,
        metrics_endpoint,
        HomePage,
        AccountPages,
        LoginPages,
        SetupLinkPages,
        AuthApi,
        create_static_files_router(path="/static", directories=[_static_dir()], include_in_schema=False),
    ]
    for domain in domains:
        handlers.extend(domain.route_handlers())
    from caoyuan.payments.mount import payment_routes  # checks CAOYUAN_ALIPAY_* now; the sandbox if on

    handlers.extend(payment_routes(settings))

    templates = template_config([d.template_dir for d in domains if d.template_dir])
    tracing = tracing_for(settings)  # empty unless an OTLP endpoint is configured
    app = CaoyuanApp(
        route_handlers=handlers,
        dependencies={
            "db": Provide(provide_db),
            "settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False),
            "database": Provide(lambda: database, use_cache=True, sync_to_thread=False),
        },
        middleware=[*tracing.middleware, auth_middleware(database)],
        before_request=remember_features,  # the menu's features, for members' pages only (web/nav.py)
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="caoyuan_csrf",
            header_name="x-csrftoken",
            exclude=CSRF_EXEMPT + (SANDBOX_CSRF_EXEMPT if settings.payments == "sandbox" else []),
            cookie_secure=settings.public_base_url.startswith("https://"),
        ),
        template_config=templates,
        exception_handlers={Exception: handle_exception},
        openapi_config=OpenAPIConfig(
            title="草原 Caoyuan API",
            version="0.1.0",
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
            description=code_table([KernelCode, *(codes for domain in domains for codes in domain.error_codes)]),
        ),
        lifespan=[lifespan],
        on_shutdown=tracing.on_shutdown,
        logging_config=None,
        debug=False,
    )
    refuse_cached_routes_with_tokens(app)
    app.state.settings = settings
    app.state.database = database
    app.template_engine.register_template_callable(  # type: ignore[union-attr]
        "nav_links", lambda ctx, user: nav_links(user, features_of(ctx))
    )
    return app


def _static_dir():  # type: ignore[no-untyped-def]
    from pathlib import Path

    return Path(__file__).parent / "web" / "static"
