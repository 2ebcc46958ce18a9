"""Demo data from the source reports: 八道岭村 and a 翁牛特旗 cooperative with its member households."""

from __future__ import annotations

from datetime import date

from caoyuan.demo import DemoContext
from caoyuan.identity import id_check_char
from coop.models import Cooperative, CoopKind, Member


def demo_id_number(region: str, birth: date, seq: int) -> str:
    """A well-formed (checksummed) but made-up ID number for demo households."""
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


# 翁牛特旗 households: name, group, household size, hardship, contribution note (used by later issues)
WENGNIUTE_HOUSEHOLDS = [
    ("包金山", "一组", 4, False, "土地 11 亩"),
    ("李桂兰", "一组", 3, True, "劳动力 60 天"),
    ("乌力吉", "二组", 5, False, "现金 2 万元"),
    ("张永军", "二组", 4, False, "拖拉机一台"),
    ("其木格", "三组", 2, True, "土地 6.5 亩"),
    ("王海龙", "三组", 6, False, "土地 20 亩"),
]
BADAOLING_HOUSEHOLDS = [
    ("刘福", "一组", 3, True), ("赵春梅", "一组", 4, False), ("孙德胜", "二组", 5, False),
    ("周秀英", "二组", 2, True), ("吴国强", "三组", 4, False),
]


async def seed(ctx: DemoContext) -> None:
    db = ctx.session
    badaoling = Cooperative(name="八道岭村股份经济合作社", kind=CoopKind.SHAREHOLDING, banner="赤峰市",
                            town="", village="八道岭村", founded_on=date(2019, 3, 1))
    wengniute = Cooperative(name="翁牛特旗乌丹镇富民种植专业合作社", kind=CoopKind.FARMER, banner="翁牛特旗",
                            town="乌丹镇", village="白音套海嘎查", founded_on=date(2020, 4, 15))
    db.add_all([badaoling, wengniute])
    await db.flush()
    ctx.shared["coop.badaoling_id"] = badaoling.id
    ctx.shared["coop.wengniute_id"] = wengniute.id

    member_login = await ctx.login(phone="13900000003", role="member", name="包金山",
                                   note="翁牛特旗社员，土地入股 11 亩")
    for no, (name, group, size, hardship, _note) in enumerate(WENGNIUTE_HOUSEHOLDS, start=1):
        db.add(Member(cooperative_id=wengniute.id, member_no=no, name=name,  # type: ignore[arg-type]
                      id_number=demo_id_number("150426", date(1970 + no * 3, no, 10 + no), no),
                      phone=f"1350476{no:04d}", village="白音套海嘎查", group_name=group, household_size=size,
                      hardship=hardship, status_since=date(2020, 4, 15),
                      user_id=member_login.id if no == 1 else None))
    for no, (name, group, size, hardship) in enumerate(BADAOLING_HOUSEHOLDS, start=1):
        db.add(Member(cooperative_id=badaoling.id, member_no=no, name=name,  # type: ignore[arg-type]
                      id_number=demo_id_number("150404", date(1965 + no * 4, no + 2, 3 + no), no),
                      phone=f"1360476{no:04d}", village="八道岭村", group_name=group, household_size=size,
                      hardship=hardship, status_since=date(2019, 3, 1)))
    await ctx.login(phone="13900000004", role="operator", name="孙德胜", note="八道岭村农机手")
