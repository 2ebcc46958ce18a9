"""Machinery bookings as the kernel sees it."""

from caoyuan.domains import Domain, NavLink, called_later, loaded_later
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


FARMERS = frozenset({"member"})
STAFF = frozenset({"admin"})

domain = Domain.at(
    __file__,
    name="machinery",
    title="农机预约",
    models=["coop.machinery.models"],
    table_prefixes=("machinery_",),
    route_handlers=_routes,
    cli=loaded_later("coop.machinery.cli:machinery"),
    seed_demo=called_later("coop.machinery.demo:seed"),
    demo_order=15,
    home_for_role={"operator": "/machinery/today"},
    on_startup=[called_later("coop.machinery.services.quote_desk:open_quote_desk")],
    on_shutdown=[called_later("coop.machinery.services.quote_desk:close_quote_desk")],
    error_codes=[MachineryCode],
    payment_handlers={"NJ": "coop.machinery.payments:on_alipay_paid"},  # services/alipay.out_trade_no_for
    nav_features=called_later("coop.machinery.menus:nav_features"),
    nav=[
        NavLink("农机预约", "/machinery/book", FARMERS, feature="machinery"),
        NavLink("我的预约", "/machinery/my", FARMERS, feature="machinery"),
        NavLink("今日作业", "/machinery/today", frozenset({"operator"})),
        NavLink("农机调度", "/machinery/board", STAFF),
        NavLink("农机看板", "/machinery/dashboard", STAFF),
        NavLink("农机设置", "/machinery/setup", STAFF),
    ],
)
