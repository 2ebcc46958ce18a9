"""Issue 15 item 7 (issue 10 item 7): a draft made before a change to what it depends on — a share
transfer, an entry in the year, a member's status — is refused at approval and at posting, with a
message that says what changed and asks to recompute; recomputing picks the change up."""

from datetime import date

import pytest
from sqlalchemy import func, select

from caoyuan.errors import Conflict
from coop.models import Allocation, AssemblyBallot, CoopKind
from coop.rules import chart as c
from coop.rules.charter import Terms
from coop.rules.journal import credit, debit
from coop.services.charter import record_charter
from coop.services.contributions import ContributionIn, contribute
from coop.services.distribution import approve, compute_draft, post_distribution
from coop.services.distribution.approve import AssemblyVote
from coop.services.ledger import write_entry
from coop.services.members import change_status
from coop.services.shares import transfer
from tests.factories.coop import make_cooperative

VOTE = AssemblyVote(date(2026, 1, 20), frozenset({1, 2, 3}))


async def _year(s):  # type: ignore[no-untyped-def]
    coop, people = await make_cooperative(s, members=3, kind=CoopKind.SHAREHOLDING)
    await record_charter(
        s,
        coop.id,
        date(2020, 1, 1),
        Terms(policy="shareholding", patronage_rate_bp=0, reserve_rate_bp=1000, share_price_fen=100_00),
    )
    for m in people[:2]:
        await contribute(s, coop.id, ContributionIn(m.id, "cash", date(2024, 3, 1), amount_fen=2_000_00))  # 20 shares
    await write_entry(
        s,
        coop.id,
        [debit(c.BANK, 9_000_00), credit(c.OTHER_INCOME, 9_000_00)],
        kind="manual",
        entry_date=date(2025, 6, 1),
    )
    return coop, people


async def _shares_counted(s, dist_id: int) -> dict[int, int]:  # type: ignore[no-untyped-def]
    rows = await s.execute(select(Allocation.member_no, Allocation.shares).where(Allocation.distribution_id == dist_id))
    return dict(rows.all())


async def test_a_draft_made_before_a_share_transfer_is_refused_until_recomputed(db) -> None:
    async with db.session() as s:
        coop, (m1, m2, m3) = await _year(s)
        draft = await compute_draft(s, coop.id, 2025)
        assert await _shares_counted(s, draft.id) == {1: 20, 2: 20}
        await transfer(s, coop.id, m1.id, m3.id, 10, date(2025, 11, 1), "转让给女儿")
        with pytest.raises(Conflict, match="股份（出资）登记有变动.*重新计算"):
            await approve(s, draft.id, VOTE)
        again = await compute_draft(s, coop.id, 2025)
        assert again.id == draft.id and await _shares_counted(s, draft.id) == {1: 10, 2: 20, 3: 10}
        await approve(s, draft.id, VOTE)


async def test_an_approved_plan_is_not_posted_after_an_entry_or_a_status_change(db) -> None:
    async with db.session() as s:
        coop, (m1, m2, m3) = await _year(s)
        draft = await compute_draft(s, coop.id, 2025)
        await approve(s, draft.id, VOTE)
        await write_entry(
            s,
            coop.id,
            [debit(c.INSURANCE, 100_00), credit(c.BANK, 100_00)],
            kind="manual",
            entry_date=date(2025, 12, 30),
        )
        with pytest.raises(Conflict, match="本年账目（凭证）有变动.*不能入账"):
            await post_distribution(s, draft.id)
        # recomputing a stale approved plan takes it back to a draft: the assembly approved other figures
        redone = await compute_draft(s, coop.id, 2025)
        assert redone.id == draft.id and redone.state == "draft" and redone.assembly_on is None
        assert await s.scalar(select(func.count()).select_from(AssemblyBallot)) == 0
        assert redone.surplus_fen == 9_000_00 - 100_00
        await approve(s, draft.id, VOTE)
        await change_status(s, m2.id, "withdrawn", date(2025, 12, 1), "迁出")
        with pytest.raises(Conflict, match="成员身份") as refused:
            await post_distribution(s, draft.id)
        assert "本年账目" not in str(refused.value)  # it says what changed, not everything
