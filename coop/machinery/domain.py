"""Machinery bookings as the kernel sees it."""

from pathlib import Path

from caoyuan.domains import Domain, NavLink
from coop.machinery.errors import MachineryCode


def _routes():  # imported lazily so the CLI starts fast
    from coop.machinery.controllers import MachineryApi
    from coop.machinery.job_pages import MachineryJobPages
    from coop.machinery.office_pages import MachineryOfficePages
    from coop.machinery.pages import MachineryPages
    from coop.machinery.setup_api import MachinerySetupApi
    from coop.machinery.setup_pages import MachinerySetupPages

    return [
        MachineryApi,
        MachinerySetupApi,
        MachineryPages,
        MachineryJobPages,
        MachineryOfficePages,
        MachinerySetupPages,
    ]


def _cli():  # type: ignore[no-untyped-def]
    from coop.machinery.cli import machinery

    return machinery


async def _open_quotes(app):  # type: ignore[no-untyped-def]
    from coop.machinery.services.quote_desk import open_quote_desk

    await open_quote_desk(app)


async def _close_quotes(app):  # type: ignore[no-untyped-def]
    from coop.machinery.services.quote_desk import close_quote_desk

    await close_quote_desk(app)


async def _seed(ctx):  # type: ignore[no-untyped-def]
    from coop.machinery.demo import seed

    await seed(ctx)


FARMERS = frozenset({"member"})
STAFF = frozenset({"admin"})


async def _nav_features(db, user):  # type: ignore[no-untyped-def]
    from coop.machinery.menus import nav_features

    return await nav_features(db, user)


domain = Domain(
    name="machinery",
    title="农机预约",
    models=["coop.machinery.models"],
    table_prefixes=("machinery_",),
    migrations=Path(__file__).parent / "migrations",
    route_handlers=_routes,
    template_dir=Path(__file__).parent / "templates",
    cli=_cli,
    seed_demo=_seed,
    demo_order=15,
    home_for_role={"operator": "/machinery/today"},
    on_startup=[_open_quotes],
    on_shutdown=[_close_quotes],
    error_codes=[MachineryCode],
    payment_handlers={"NJ": "coop.machinery.payments:on_alipay_paid"},  # services/alipay.out_trade_no_for
    nav_features=_nav_features,
    nav=[
        NavLink("农机预约", "/machinery/book", FARMERS, feature="machinery"),
        NavLink("我的预约", "/machinery/my", FARMERS, feature="machinery"),
        NavLink("今日作业", "/machinery/today", frozenset({"operator"})),
        NavLink("农机调度", "/machinery/board", STAFF),
        NavLink("农机看板", "/machinery/dashboard", STAFF),
        NavLink("农机设置", "/machinery/setup", STAFF),
    ],
)
