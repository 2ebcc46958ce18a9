"""A 股份经济合作社's year end to end on both databases — charter, shares, machinery business, income,
draft, approval by the register, posting, 公示表 — checked against an exact computation written here,
independently of coop.rules (Fractions, largest remainders, ties to the lower member number)."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

from openpyxl import load_workbook
from sqlalchemy import select

from coop.models import Allocation, CoopKind
from coop.posting import MachineryServicePaid, post
from coop.rules import chart as c
from coop.rules.charter import Terms
from coop.rules.journal import credit, debit
from coop.services.charter import record_charter
from coop.services.contributions import ContributionIn, contribute
from coop.services.distribution import approve, compute_draft, post_distribution, publish
from coop.services.distribution.approve import AssemblyVote
from coop.services.ledger import write_entry
from coop.services.statements import publicity_xlsx
from tests.factories.coop import make_cooperative

SHARES = {1: 10, 2: 20, 3: 30, 4: 7, 5: 0}  # member 5 holds no shares, only hires the harvester
OTHER_INCOME, MACHINERY, EXPENSE = 101_234_57, 3_000_00, 1_234_56
RESERVE_BP, COLLECTIVE_BP, DEVELOPMENT_BP = 1500, 2000, 6000


def split(pool: int, weights: dict[int, int]) -> dict[int, int]:
    """Exact shares, floored; leftover fen one each to the largest remainders, ties to the lower key."""
    total = sum(weights.values())
    exact = {k: Fraction(pool * w, total) for k, w in weights.items()}
    parts = {k: int(v) for k, v in exact.items()}  # floor (all non-negative)
    leftover = pool - sum(parts.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - parts[k]), k))[:leftover]:
        parts[k] += 1
    return parts


def expected() -> dict:
    surplus = OTHER_INCOME + MACHINERY - EXPENSE
    pool = MACHINERY  # the machinery net leaves first (no machinery costs this year)
    reserve = (surplus - pool) * RESERVE_BP // 10000  # then the 公积公益金 on the rest, floored
    distributable = surplus - pool - reserve
    two = split(distributable, {0: COLLECTIVE_BP, 1: 10000 - COLLECTIVE_BP})  # 0: 集体股, 1: 成员股
    members = split(two[1], {no: s for no, s in SHARES.items() if s})
    return {
        "surplus": surplus,
        "pool": pool,
        "reserve": reserve,
        "distributable": distributable,
        "collective": two[0],
        "members": members,
        "development": split(pool, {0: DEVELOPMENT_BP, 1: 10000 - DEVELOPMENT_BP})[0],
    }


async def test_a_shareholding_year_matches_an_independent_computation(db) -> None:
    want = expected()
    async with db.session() as s:
        coop, people = await make_cooperative(s, members=5, kind=CoopKind.SHAREHOLDING)
        await record_charter(
            s,
            coop.id,
            date(2020, 1, 1),
            Terms(
                policy="shareholding",
                patronage_rate_bp=0,
                reserve_rate_bp=RESERVE_BP,
                share_price_fen=100_00,
                collective_share_bp=COLLECTIVE_BP,
                member_share_bp=10000 - COLLECTIVE_BP,
                split_machinery_pool=True,
                machinery_development_bp=DEVELOPMENT_BP,
            ),
        )
        for m in people:
            if SHARES[m.member_no]:
                await contribute(
                    s, coop.id, ContributionIn(m.id, "cash", date(2024, 3, 1), amount_fen=SHARES[m.member_no] * 100_00)
                )
        await post(
            s,
            MachineryServicePaid(
                coop.id, f"{coop.id}:harvest", datetime(2025, 9, 20, 3, tzinfo=UTC), people[4].id, MACHINERY
            ),
        )
        await write_entry(
            s,
            coop.id,
            [debit(c.BANK, OTHER_INCOME), credit(c.OTHER_INCOME, OTHER_INCOME)],
            kind="manual",
            entry_date=date(2025, 6, 1),
        )
        await write_entry(
            s,
            coop.id,
            [debit(c.INSURANCE, EXPENSE), credit(c.BANK, EXPENSE)],
            kind="manual",
            entry_date=date(2025, 5, 1),
        )
        draft = await compute_draft(s, coop.id, 2025)
        assert (draft.surplus_fen, draft.reserve_fen, draft.distributable_fen, draft.collective_fen) == (
            want["surplus"],
            want["reserve"],
            want["distributable"],
            want["collective"],
        )
        assert draft.pool_development_fen + draft.pool_assistance_fen == want["pool"]
        assert draft.pool_development_fen == want["development"]
        await approve(s, draft.id, AssemblyVote(date(2026, 1, 18), frozenset({1, 2, 3, 4}), frozenset({5})))
        await post_distribution(s, draft.id)
        await publish(s, draft.id)
        rows = {
            a.member_no: a.total_fen
            for a in (await s.scalars(select(Allocation).where(Allocation.distribution_id == draft.id))).all()
        }
        sheet = load_workbook(io.BytesIO(await publicity_xlsx(s, draft.id))).active
    assert {no: fen for no, fen in rows.items() if no != 5} == want["members"] and rows[5] == 0
    # the 公示表: 股数 and money summed under their own columns; member 5's ¥0.00 line says why
    table = [
        r
        for r in sheet.iter_rows(values_only=True)
        if r and r[0] in ("社员号", "合计") or (r and isinstance(r[0], int))
    ]
    header, *lines, total = table
    col = {name: i for i, name in enumerate(header)}
    assert total[col["股数"]] == sum(SHARES.values())

    def fen(cell: object) -> int:  # a spreadsheet number back to fen, exactly
        return int(Decimal(str(cell)) * 100)

    assert (
        fen(total[col["合计（元）"]]) == sum(want["members"].values()) == sum(fen(r[col["合计（元）"]]) for r in lines)
    )
    assert fen(total[col["按股分红（元）"]]) == sum(want["members"].values())
    five = next(r for r in lines if r[0] == 5)
    assert five[col["合计（元）"]] == 0 and "本年无股份" in five[col["说明"]] and "农机" in five[col["说明"]]
