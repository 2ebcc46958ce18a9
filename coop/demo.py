"""Demo data from the source reports: 八道岭村 (5 machines for 72万元 from the 专项基金) and a 翁牛特旗
cooperative whose members joined with land, cash, a machine and labour, with a year of business and its
distribution approved, posted and published — so 包金山 sees his dividend and why."""

from __future__ import annotations

from datetime import UTC, date, datetime

import msgspec

from caoyuan.auth.models import UserAccount
from caoyuan.auth.service import change_password
from caoyuan.demo import DEMO_PASSWORD, DemoContext
from caoyuan.identity import example_id_number
from coop.demo_data import (
    BADAOLING,
    BADAOLING_HOUSEHOLDS,
    BADAOLING_MACHINES,
    BADAOLING_TERMS,
    WENGNIUTE,
    WENGNIUTE_HOUSEHOLDS,
    WENGNIUTE_LIVE_SALES,
    WENGNIUTE_TERMS,
    WENGNIUTE_TRACTOR,
)
from coop.posting import LiveSalePaid, MachineryServicePaid, OperatorWageAccrued, post
from coop.rules import chart as c
from coop.rules.journal import credit, debit
from coop.rules.members import MemberDraft
from coop.schemas import ContributionIn
from coop.services.assets import FixedAssetIn, acquire, depreciate_month
from coop.services.contributions import contribute
from coop.services.distribution import approve, compute_draft, post_distribution, publish
from coop.services.distribution.approve import AssemblyVote
from coop.services.founding import found
from coop.services.ledger import write_entry
from coop.services.members import admit
from coop.services.people import PersonDraft, create_person

YEAR = 2025


def _at(day: date, hour: int = 3) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


async def seed(ctx: DemoContext) -> None:
    db = ctx.session
    by = ctx.shared.get("admin_id")  # founded as the install's accountant founds one on 建立合作社
    badaoling, _ = await found(
        db, BADAOLING, BADAOLING_TERMS, note="股份经济合作社章程：成员股按人口量化；农机收入六四开", by_user_id=by
    )  # type: ignore[arg-type]
    wengniute, _ = await found(db, WENGNIUTE, WENGNIUTE_TERMS, note="2020 年 4 月 15 日成立大会通过", by_user_id=by)  # type: ignore[arg-type]
    ctx.shared["coop.badaoling_id"] = badaoling.id
    ctx.shared["coop.wengniute_id"] = wengniute.id
    note = "翁牛特旗社员，土地入股 11 亩，可查看 2025 年分红"
    member_login = await person_login(ctx, wengniute.id, "13900000003", "member", "包金山", note)  # type: ignore[arg-type]
    operator = await person_login(ctx, badaoling.id, "13900000004", "operator", "孙德胜", "八道岭村农机手")  # type: ignore[arg-type]
    hosts = [  # the live room's hosts (streaming's seed names them to its room)
        await person_login(ctx, wengniute.id, "13900000002", "host", "其其格", "草原村播主播（牧民夫妻）"),  # type: ignore[arg-type]
        await person_login(ctx, wengniute.id, "13900000006", "host", "高书记", "驻村第一书记（联合主播）"),  # type: ignore[arg-type]
    ]
    ctx.shared["coop.host_ids"] = [h.id for h in hosts]
    ctx.shared["coop.wengniute_member_ids"] = await _wengniute(ctx, wengniute.id, member_login.id)  # type: ignore[arg-type]
    ctx.shared["coop.badaoling_member_ids"], ctx.shared["coop.badaoling_machine_asset_ids"] = await _badaoling(
        ctx, badaoling.id, operator.id
    )  # type: ignore[arg-type]


async def person_login(ctx: DemoContext, coop_id: int, phone: str, role: str, name: str, note: str) -> UserAccount:
    """A login made as the accountant makes one on 账户 (so that page lists it), then given the demo's
    password the way its owner changes the temporary one at first login."""
    admin_id = ctx.shared.get("admin_id")  # the demo's accountant (None: seeded on its own, as by a command)
    draft = PersonDraft(phone, name, role)
    account, temporary = await create_person(ctx.session, coop_id, draft, by_user_id=admin_id)  # type: ignore[arg-type]
    await change_password(ctx.session, account.id, temporary, DEMO_PASSWORD, DEMO_PASSWORD)  # type: ignore[arg-type]
    ctx.logins.append((role, phone, name, note))
    return account


async def _wengniute(ctx: DemoContext, coop_id: int, login_id: int) -> list[int]:
    db = ctx.session
    ids = []
    for no, (name, group, size, hardship, joined) in enumerate(WENGNIUTE_HOUSEHOLDS, start=1):
        member = await admit(
            db,
            coop_id,
            MemberDraft(
                no,
                name,
                example_id_number(no, f"{date(1970 + no * 3, no, 10 + no):%Y%m%d}", "150426"),
                f"1350476{no:04d}",
                "白音套海嘎查",
                group,
                size,
                hardship,
                joined.contributed_on,
            ),
            user_id=login_id if no == 1 else None,
        )
        ids.append(member.id)
        await contribute(db, coop_id, msgspec.structs.replace(joined, member_id=member.id))
    for no, amounts in WENGNIUTE_LIVE_SALES.items():
        for i, goods in enumerate(amounts):
            await post(
                db,
                LiveSalePaid(
                    coop_id,
                    f"demo:wnt:live:{no}:{i}",
                    _at(date(YEAR, 9 + i, 12 + no)),
                    ids[no - 1],
                    goods,
                    30_00,
                    description="草原村播：羔羊肉、牛肉",
                ),
            )
    for no, amount in WENGNIUTE_TRACTOR.items():
        await post(
            db,
            MachineryServicePaid(
                coop_id,
                f"demo:wnt:tractor:{no}",
                _at(date(YEAR, 5, no + 3)),
                ids[no - 1],
                amount,
                description="拖拉机春耕作业",
            ),
        )
    await post(
        db,
        MachineryServicePaid(
            coop_id,
            "demo:wnt:tractor:outside",
            _at(date(YEAR, 5, 20)),
            None,
            1_800_00,
            description="为邻村农户代耕（非成员业务）",
        ),
    )
    books = [  # 150 亩 farmed together: the members' 37.5 亩 and 112.5 亩 leased from other households
        (date(YEAR, 10, 28), c.BANK, c.FARMING_INCOME, 247_500_00, "统一经营 150 亩玉米销售"),
        (date(YEAR, 4, 2), c.LAND_RENT, c.BANK, 50_625_00, "流转非成员土地 112.5 亩租金"),
        (date(YEAR, 4, 20), c.PRODUCTION_COST, c.BANK, 63_000_00, "种子、化肥、农药"),
        (date(YEAR, 11, 5), c.WAGES, c.BANK, 62_000_00, "田间管理与收获雇工"),
        (date(YEAR, 3, 10), c.INSURANCE, c.BANK, 3_600_00, "种植业保险"),
        (date(YEAR, 7, 2), c.MAINTENANCE, c.CASH, 2_150_00, "拖拉机保养"),
        (date(YEAR, 8, 15), c.BANK, c.SUBSIDY_INCOME, 12_000_00, "耕地地力保护补贴（合作社经营地块）"),
    ]
    for day, dr, cr, amount, memo in books:
        await write_entry(
            db,
            coop_id,
            [debit(dr, amount, memo=memo), credit(cr, amount, memo=memo)],
            kind="manual",
            description=memo,
            entry_date=day,
        )
    draft = await compute_draft(db, coop_id, YEAR)
    await approve(
        db,
        draft.id,
        AssemblyVote(date(YEAR + 1, 1, 18), votes_for=frozenset(range(1, len(ids) + 1))),  # every household, by number
    )
    await post_distribution(db, draft.id)  # type: ignore[arg-type]
    await publish(db, draft.id)  # type: ignore[arg-type]
    return ids


async def _badaoling(ctx: DemoContext, coop_id: int, operator_id: int) -> tuple[list[int], list[int]]:
    db = ctx.session
    ids = []
    for no, (name, group, size, hardship) in enumerate(BADAOLING_HOUSEHOLDS, start=1):
        member = await admit(
            db,
            coop_id,
            MemberDraft(
                no,
                name,
                example_id_number(no, f"{date(1965 + no * 4, no + 2, 3 + no):%Y%m%d}", "150404"),
                f"1360476{no:04d}",
                "八道岭村",
                group,
                size,
                hardship,
                date(2019, 3, 1),
            ),
        )
        ids.append(member.id)
        await contribute(
            db,
            coop_id,
            ContributionIn(
                member.id,
                "cash",
                date(2019, 3, 1),  # type: ignore[arg-type]
                amount_fen=size * 1_000_00,
                note="集体资产折股量化（人口股）",
            ),
        )
    assets = []
    for asset_no, name, cost, policy in BADAOLING_MACHINES:
        asset = await acquire(
            db,
            coop_id,
            FixedAssetIn(
                name,
                "machine",
                cost,
                "special_fund",
                date(2023, 8, 28),
                "乡村振兴衔接资金 72 万元",
                asset_no,
                policy,
                _insured_until(),
                useful_life_months=120,
                salvage_fen=cost // 20,
            ),
        )
        assets.append(asset.id)
    await _badaoling_season(db, coop_id, ids, operator_id)
    for month in range(1, 13):
        await depreciate_month(db, coop_id, YEAR, month)
    return ids, assets


def _insured_until() -> date:
    """The policies were renewed: insured well past today, so the demo fleet can be dispatched."""
    from datetime import timedelta

    from caoyuan import clock

    return clock.today() + timedelta(days=280)


async def _badaoling_season(db, coop_id: int, ids: list[int], operator_id: int) -> None:  # type: ignore[no-untyped-def]
    """The 2025 corn harvest: 70 元/亩 (30 元 below market), 40 元/亩 for hardship households; neighbouring
    villages served as non-member business; three operators paid; fuel, repairs and insurance."""
    for no, (mu, hardship) in enumerate([(46, True), (62, False), (75, False), (38, True), (58, False)], start=1):
        await post(
            db,
            MachineryServicePaid(
                coop_id,
                f"demo:bdl:2025:member:{no}",
                _at(date(YEAR, 10, no + 1)),
                ids[no - 1],
                mu * (40_00 if hardship else 70_00),
                relief_fen=mu * 30_00 if hardship else 0,
                description=f"玉米机收 {mu} 亩",
            ),
        )
    for week in range(1, 9):
        await post(
            db,
            MachineryServicePaid(
                coop_id,
                f"demo:bdl:2025:outside:{week}",
                _at(date(YEAR, 9, 20 + week)),
                None,
                380 * 70_00,
                channel="alipay",
                description="为邻村机收玉米 380 亩",
            ),
        )
    for n in range(3):
        await post(
            db,
            OperatorWageAccrued(
                coop_id,
                f"demo:bdl:2025:wage:{n}",
                _at(date(YEAR, 10, 31)),
                operator_id,
                15_000_00,
                description="秋收农机手工资",
            ),
        )
    costs = [
        (date(YEAR, 10, 30), c.FUEL, 52_000_00, "秋收柴油"),
        (date(YEAR, 8, 20), c.MAINTENANCE, 12_000_00, "收获机季前检修"),
        (date(YEAR, 8, 27), c.INSURANCE, 9_800_00, "5 台农机保险续保"),
    ]
    for day, code, amount, memo in costs:
        await write_entry(
            db,
            coop_id,
            [debit(code, amount, fund=c.MACHINERY_FUND, memo=memo), credit(c.BANK, amount, memo=memo)],
            kind="manual",
            description=memo,
            entry_date=day,
        )
    await write_entry(
        db,
        coop_id,
        [debit(c.BANK, 96_000_00), credit(c.OTHER_INCOME, 96_000_00)],
        kind="manual",
        description="集体机动地发包收入",
        entry_date=date(YEAR, 3, 15),
    )
