"""The demo's figures from the source reports (coop/demo.py seeds them through the services)."""

from __future__ import annotations

from datetime import date

from coop.models import CoopKind
from coop.rules.charter import Terms
from coop.rules.credit_code import check_character
from coop.schemas import ContributionIn
from coop.services.founding import Founding


def _code(first17: str) -> str:
    """A made-up unified social credit code with its right check character."""
    return first17 + check_character(first17)


BADAOLING = Founding(
    name="八道岭村股份经济合作社",
    kind=CoopKind.SHAREHOLDING,
    banner="赤峰市",
    village="八道岭村",
    credit_code=_code("N2150402MF0000001"),
    registered_on=date(2019, 3, 1),
    legal_representative="刘福",
)
WENGNIUTE = Founding(
    name="翁牛特旗乌丹镇富民种植专业合作社",
    kind=CoopKind.FARMER,
    banner="翁牛特旗",
    town="乌丹镇",
    village="白音套海嘎查",
    credit_code=_code("93150426MA0N1B2C3"),
    registered_on=date(2020, 4, 15),
    legal_representative="包金山",
)
WENGNIUTE_TERMS = Terms(
    share_price_fen=100_00,
    land_value_per_mu_fen=1_000_00,
    labour_value_per_day_fen=150_00,
    reserve_rate_bp=1000,
    policy="farmer",
    patronage_rate_bp=6000,
    live_sale_commission_bp=500,
    machinery_development_bp=6000,
    redemption_lock_months=36,
)
BADAOLING_TERMS = Terms(
    share_price_fen=1_000_00,
    land_value_per_mu_fen=800_00,
    labour_value_per_day_fen=120_00,
    reserve_rate_bp=1500,
    policy="shareholding",
    patronage_rate_bp=0,
    live_sale_commission_bp=300,
    machinery_development_bp=6000,
    member_share_bp=10000,
    collective_share_bp=0,
    redemption_allowed=False,
    split_machinery_pool=True,
)

# 翁牛特旗 households: name, group, household size, hardship, how they joined
WENGNIUTE_HOUSEHOLDS = [
    (
        "包金山",
        "一组",
        4,
        False,
        ContributionIn(
            0,
            "land",
            date(2020, 4, 15),
            area_hundredths=11_00,
            plot="白音套海嘎查东梁地 3 号",
            term_from=date(2020, 4, 15),
            term_to=date(2035, 4, 14),
        ),
    ),
    ("李桂兰", "一组", 3, True, ContributionIn(0, "labour", date(2020, 4, 15), labour_days=60)),
    ("乌力吉", "二组", 5, False, ContributionIn(0, "cash", date(2020, 4, 15), amount_fen=20_000_00, channel="bank")),
    (
        "张永军",
        "二组",
        4,
        False,
        ContributionIn(
            0,
            "asset",
            date(2020, 5, 6),
            amount_fen=38_050_00,
            asset_name="东方红 LX904 拖拉机",
            asset_category="machine",
            appraiser="赤峰市农机鉴定站",
        ),
    ),
    (
        "其木格",
        "三组",
        2,
        True,
        ContributionIn(
            0,
            "land",
            date(2020, 4, 15),
            area_hundredths=6_50,
            plot="白音套海嘎查南洼地 7 号",
            term_from=date(2020, 4, 15),
            term_to=date(2035, 4, 14),
        ),
    ),
    (
        "王海龙",
        "三组",
        6,
        False,
        ContributionIn(
            0,
            "land",
            date(2021, 3, 20),
            area_hundredths=20_00,
            plot="白音套海嘎查西坡地 1–2 号",
            term_from=date(2021, 3, 20),
            term_to=date(2036, 3, 19),
        ),
    ),
]
# 2025 business with members: lambs and beef sold on the live stream (supplier), tractor work (farmer)
WENGNIUTE_LIVE_SALES = {
    1: [6_200_00, 5_560_00],
    2: [3_150_00],
    3: [9_800_00, 7_400_00],
    4: [8_600_00],
    5: [3_150_00],
    6: [12_600_00, 14_300_00],
}
WENGNIUTE_TRACTOR = {1: 640_00, 2: 380_00, 4: 1_120_00, 6: 960_00}  # 包金山: 12,400 元 of business in all

BADAOLING_HOUSEHOLDS = [
    ("刘福", "一组", 3, True),
    ("赵春梅", "一组", 4, False),
    ("孙德胜", "二组", 5, False),
    ("周秀英", "二组", 2, True),
    ("吴国强", "三组", 4, False),
]
# 八道岭村: 72万元 of rural revitalisation funds bought 5 machines owned by the collective
BADAOLING_MACHINES = [
    ("BDL-01", "约翰迪尔 4YZ-4 玉米收获机（一号）", 198_000_00, "PICC-NJ-2025-0101"),
    ("BDL-02", "雷沃 4YZP-4 玉米收获机（二号）", 176_000_00, "PICC-NJ-2025-0102"),
    ("BDL-03", "东方红 LX1304 拖拉机", 152_000_00, "PICC-NJ-2025-0103"),
    ("BDL-04", "秸秆捡拾打捆机", 104_000_00, "PICC-NJ-2025-0104"),
    ("BDL-05", "深松整地联合作业机", 90_000_00, "PICC-NJ-2025-0105"),
]
