"""草原村播 live sale as the kernel sees it."""

from pathlib import Path

from caoyuan.domains import Domain, NavLink
from streaming.errors import LiveCode


def _routes():
    from streaming.controllers import LiveSessionApi
    from streaming.feed import host_feed, viewer_feed
    from streaming.pages import HostConsole, LivePages
    from streaming.rooms_api import LiveRoomApi
    from streaming.setup_pages import RoomSetupPages

    return [LiveSessionApi, LivePages, HostConsole, host_feed, viewer_feed, LiveRoomApi, RoomSetupPages]


def _cli():
    from streaming.cli import feed

    return feed


async def _seed(ctx):  # type: ignore[no-untyped-def]
    from streaming.demo import seed

    await seed(ctx)


async def _start(app):  # type: ignore[no-untyped-def]
    from streaming.background import start

    await start(app)


domain = Domain(
    name="streaming",
    title="草原村播",
    models=["streaming.models"],
    table_prefixes=("live_",),
    migrations=Path(__file__).parent / "migrations",
    route_handlers=_routes,
    template_dir=Path(__file__).parent / "templates",
    seed_demo=_seed,
    cli=_cli,
    demo_order=30,
    error_codes=[LiveCode],
    home_for_role={"host": "/live/console"},
    nav=[
        NavLink("直播间", "/live/", frozenset({"anonymous", "buyer", "member", "admin", "host", "operator"})),
        NavLink("主播台", "/live/console/", frozenset({"host", "admin"})),
        NavLink("直播间设置", "/live/setup/rooms/", frozenset({"admin"})),
    ],
    on_startup=[_start],
    # the console's and the CLI's running GMV rides on storefront's order_paid event; streaming owns the figure
    feed_enrichers={"order_paid": "streaming.services.analytics:gmv_on_order_paid"},
)
