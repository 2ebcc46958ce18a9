"""草原村播 live sale as the kernel sees it."""

from caoyuan.domains import Domain, NavLink, called_later, loaded_later
from streaming.errors import LiveCode


def _routes():
    from streaming.controllers import LiveSessionApi
    from streaming.feed import host_feed, viewer_feed
    from streaming.pages import HostConsole, LivePages
    from streaming.rooms_api import LiveRoomApi
    from streaming.setup_pages import RoomSetupPages

    return [LiveSessionApi, LivePages, HostConsole, host_feed, viewer_feed, LiveRoomApi, RoomSetupPages]


domain = Domain.at(
    __file__,
    name="streaming",
    title="草原村播",
    models=["streaming.models"],
    table_prefixes=("live_",),
    route_handlers=_routes,
    seed_demo=called_later("streaming.demo:seed"),
    cli=loaded_later("streaming.cli:feed"),
    demo_order=30,
    error_codes=[LiveCode],
    home_for_role={"host": "/live/console"},
    nav=[
        NavLink("直播间", "/live/", frozenset({"anonymous", "buyer", "member", "admin", "host", "operator"})),
        NavLink("主播台", "/live/console/", frozenset({"host", "admin"})),
        NavLink("直播间设置", "/live/setup/rooms/", frozenset({"admin"})),
    ],
    on_startup=[called_later("streaming.background:start")],
    # the console's and the CLI's running GMV rides on storefront's order_paid event; streaming owns the figure
    feed_enrichers={"order_paid": "streaming.services.analytics:gmv_on_order_paid"},
)
