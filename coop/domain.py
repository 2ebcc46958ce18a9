"""The cooperative domain as the kernel sees it."""

from caoyuan.domains import Domain, NavLink, called_later, loaded_later
from coop.errors import CoopCode


def _routes():  # imported lazily so the CLI starts fast
    from coop.controllers import CooperativeApi, DistributionApi, FoundingApi, MemberApi
    from coop.controllers_books import BooksApi
    from coop.pages import (
        AssetPages,
        CoopAdminPages,
        CoopMemberPages,
        DistributionPages,
        LedgerPages,
        MemberPages,
        OpeningPages,
        SubsidyPages,
    )
    from coop.pages.audit import AuditApi, AuditPages
    from coop.pages.people import PeopleApi, PeoplePages
    from coop.pages.setup import SetupPages

    return [
        MemberApi,
        CooperativeApi,
        DistributionApi,
        FoundingApi,
        BooksApi,
        CoopAdminPages,
        AssetPages,
        MemberPages,
        LedgerPages,
        OpeningPages,
        SubsidyPages,
        DistributionPages,
        CoopMemberPages,
        SetupPages,
        AuditPages,
        AuditApi,
        PeoplePages,
        PeopleApi,
    ]


domain = Domain.at(
    __file__,
    name="coop",
    title="合作社",
    models=["coop.models"],
    table_prefixes=("coop_",),
    route_handlers=_routes,
    cli=loaded_later("coop.cli:coop"),
    seed_demo=called_later("coop.demo:seed"),
    demo_order=10,
    home_for_role={"admin": "/coop/", "member": "/coop/me"},
    nav=[
        NavLink("合作社", "/coop/", frozenset({"admin"})),
        NavLink("我的股份与分红", "/coop/me", frozenset({"member"})),
    ],
    error_codes=[CoopCode],
)
