"""Cooperative pages (zh-CN, phone-first, readable without JavaScript)."""

from coop.pages.admin import CoopAdminPages
from coop.pages.assets import AssetPages
from coop.pages.distribution import DistributionPages
from coop.pages.ledger import LedgerPages
from coop.pages.member import CoopMemberPages
from coop.pages.members import MemberPages
from coop.pages.opening import OpeningPages
from coop.pages.subsidies import SubsidyPages

__all__ = [
    "AssetPages",
    "CoopAdminPages",
    "CoopMemberPages",
    "DistributionPages",
    "LedgerPages",
    "MemberPages",
    "OpeningPages",
    "SubsidyPages",
]
