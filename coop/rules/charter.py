"""The charter's money rules as a pure value, with the checks the law puts on them."""

from __future__ import annotations

from dataclasses import dataclass, fields

from caoyuan.money import BP_WHOLE
from coop.rules.capital import BASES

MIN_PATRONAGE_BP = 6000  # 农民专业合作社法 art. 44: at least 60 % returned by transaction volume
CHARTER_FEN_MAX = 10_000_000_00  # ¥1,000 万: a price per share, mu or day; its column is a 32-bit integer
LOCK_MONTHS_MAX = 1200
REPRESENTATIVES_MAX = 100_000
POLICIES = {"farmer": "农民专业合作社（按交易量返还为主）", "shareholding": "股份经济合作社（按股分红）"}

# Limits a charter may not cross (checked by ``validate``; each is explained next to its field on the page).
# 集体股: 以成员股为主 — the collective's share of the total stays a minority. No article found by search
# fixes a figure; 30 % is the GUIDE's reading and common practice in the 股份合作制改革 charters.
COLLECTIVE_MAX_BP = 3000
# 公积公益金 of a 股份经济合作社: drawn every year (the GUIDE's order: cover losses → 公积公益金 → shares),
# so neither 0 % nor a rate that leaves the members nothing; the charter picks within 5 %..50 %.
SHAREHOLDING_RESERVE_BP = (500, 5000)
# 公积金 of a 农民专业合作社: art. 42 says it "may" be drawn (0 % is lawful), but above half the surplus
# art. 44's return to members would be hollowed out.
FARMER_RESERVE_BP = (0, 5000)
LIMIT_NOTES = {
    "policy": "分配方式必须与合作社类型一致：农民专业合作社按交易量返还（合作社法第四十四条），"
    "股份经济合作社按股分红（农村集体经济组织法、本社章程）",
    "reserve_rate_bp": "股份经济合作社公积公益金 5%–50%；农民专业合作社公积金 0%–50%（合作社法第四十二条“可以”提取）",
    "collective_share_bp": "只有股份经济合作社可设集体股，且以成员股为主：集体股不超过总股本的 30%；农民专业合作社为 0",
    "machinery_development_bp": "农机收入单列“六四开”时，发展和帮扶两边都必须大于 0%",
    "representatives": "0 表示由成员大会审议分配方案；设成员代表大会的填代表人数。农民专业合作社须成员超过 150 人、"
    "代表不少于成员的 10% 且不少于 51 人（合作社法第三十二条）",
    "reserve_before_pool": "默认先把农机净收益单列“六四开”，再就其余盈余提取公积金，成员分红不负担农机收入的公积金；"
    "章程另有规定时勾选此项",
    "patronage_rate_bp": "农民专业合作社不低于 60%（合作社法第四十四条）；股份经济合作社不适用",
}


class CharterError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Terms:
    share_price_fen: int = 100_00  # 100 元 a share
    land_value_per_mu_fen: int = 1_000_00  # 1,000 元 per 亩 for the term
    labour_value_per_day_fen: int = 150_00  # 150 元 per day
    reserve_rate_bp: int = 1000  # 10 %
    policy: str = "farmer"
    patronage_rate_bp: int = 6000
    live_sale_commission_bp: int = 300  # 3 %
    machinery_development_bp: int = 6000  # 六四开
    member_share_bp: int = BP_WHOLE
    collective_share_bp: int = 0
    redemption_allowed: bool = True
    redemption_lock_months: int = 12
    split_machinery_pool: bool = False
    capital_basis: str = "record_date"  # how capital counts in a year: coop.rules.capital
    representatives: int = 0  # 0: 成员大会 approves; n > 0: a 成员代表大会 of n (coop.rules.assembly)
    reserve_before_pool: bool = False  # draw the reserve on the whole surplus before the 六四开 pool leaves it

    @property
    def machinery_assistance_bp(self) -> int:
        return BP_WHOLE - self.machinery_development_bp


DEFAULT_TERMS = Terms()  # used only until a cooperative records its own charter
TERM_FIELDS = tuple(f.name for f in fields(Terms))


def validate(terms: Terms, kind: str | None = None) -> None:
    """Refuse a charter the law or arithmetic does not allow; names the offending field. ``kind`` is the
    cooperative's kind ("farmer" / "shareholding"): the terms must be lawful for that kind."""
    for name in ("share_price_fen", "land_value_per_mu_fen", "labour_value_per_day_fen"):
        if getattr(terms, name) <= 0:
            raise CharterError("金额必须大于零", name)
        if getattr(terms, name) > CHARTER_FEN_MAX:
            raise CharterError(f"金额不能超过 {CHARTER_FEN_MAX // 100:,} 元", name)
    for name in (
        "reserve_rate_bp",
        "patronage_rate_bp",
        "live_sale_commission_bp",
        "machinery_development_bp",
        "member_share_bp",
        "collective_share_bp",
    ):
        if not 0 <= getattr(terms, name) <= BP_WHOLE:
            raise CharterError("比例应在 0% 到 100% 之间", name)
    if terms.policy not in POLICIES:
        raise CharterError("分配方式只能是农民专业合作社或股份经济合作社", "policy")
    if terms.policy == "farmer" and terms.patronage_rate_bp < MIN_PATRONAGE_BP:
        raise CharterError(
            "农民专业合作社按交易量返还的比例不得低于可分配盈余的 60%（合作社法第四十四条）", "patronage_rate_bp"
        )
    if terms.member_share_bp + terms.collective_share_bp != BP_WHOLE:
        raise CharterError("成员股与集体股的比例合计应为 100%", "collective_share_bp")
    _validate_for_kind(terms, kind or terms.policy)
    if terms.capital_basis not in BASES:
        raise CharterError("出资计算方式只能是按股权登记日或按持有天数", "capital_basis")
    if not 0 <= terms.representatives <= REPRESENTATIVES_MAX:
        raise CharterError(f"成员代表人数应为 0（召开成员大会）到 {REPRESENTATIVES_MAX} 人", "representatives")
    if not 0 <= terms.redemption_lock_months <= LOCK_MONTHS_MAX:
        raise CharterError(f"退股锁定期应为 0 到 {LOCK_MONTHS_MAX} 个月", "redemption_lock_months")


def _validate_for_kind(terms: Terms, kind: str) -> None:
    if terms.policy != kind:
        raise CharterError(
            f"{POLICIES.get(kind, kind)}的章程只能采用本类型的分配方式，不能采用{POLICIES[terms.policy]}", "policy"
        )
    low, high = SHAREHOLDING_RESERVE_BP if kind == "shareholding" else FARMER_RESERVE_BP
    if not low <= terms.reserve_rate_bp <= high:
        name = "公积公益金" if kind == "shareholding" else "公积金"
        raise CharterError(f"{name}比例应在 {low // 100}% 到 {high // 100}% 之间", "reserve_rate_bp")
    if kind == "farmer" and terms.collective_share_bp:
        raise CharterError("农民专业合作社没有集体股，集体股比例应为 0%", "collective_share_bp")
    if terms.collective_share_bp > COLLECTIVE_MAX_BP:
        raise CharterError(f"集体股不得超过总股本的 {COLLECTIVE_MAX_BP // 100}%（以成员股为主）", "collective_share_bp")
    if terms.split_machinery_pool and not 0 < terms.machinery_development_bp < BP_WHOLE:
        raise CharterError(
            "农机收入“六四开”的发展和帮扶两部分都必须大于 0%；不单列时请取消勾选", "machinery_development_bp"
        )
