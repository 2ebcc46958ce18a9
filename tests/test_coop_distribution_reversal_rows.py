"""A reversing distribution's allocation rows mirror the original's: the money negated, the rest copied."""

from datetime import UTC, date, datetime

from sqlalchemy import select

from coop.models import Allocation, Distribution, JournalEntry
from coop.posting import MachineryServicePaid, post
from coop.rules.charter import Terms
from coop.services.charter import record_charter
from coop.services.contributions import ContributionIn, contribute
from coop.services.distribution import approve, compute_draft, post_distribution, reverse_distribution
from coop.services.distribution.approve import AssemblyVote
from tests.factories.coop import make_cooperative

NEGATED = ("patronage_fen", "remainder_fen", "reserve_share_fen", "total_fen")
COPIED = ("member_no", "volume_fen", "capital_fen", "reserve_base_fen", "subsidy_fen", "shares")
COPIED += ("patronage_adj", "remainder_adj", "reserve_adj")


async def _posted(db) -> Distribution:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        coop, members = await make_cooperative(s, members=2, name="冲销明细测试社")
        await record_charter(s, coop.id, date(2020, 1, 1), Terms(reserve_rate_bp=1000, patronage_rate_bp=6000))
        for m in members:
            await contribute(s, coop.id, ContributionIn(m.id, "cash", date(2025, 3, 1), amount_fen=3_000_00))
        when = datetime(2025, 9, 20, 3, tzinfo=UTC)
        for i, (m, fen) in enumerate(zip(members, (9_000_00, 2_500_00), strict=True)):
            await post(s, MachineryServicePaid(coop.id, f"{coop.id}:mb:{i}", when, m.id, fen))
        draft = await compute_draft(s, coop.id, 2025)
        await approve(s, draft.id, AssemblyVote(date(2026, 1, 20), votes_for=frozenset({1, 2})))
        return await post_distribution(s, draft.id)


async def test_reversal_rows_negate_money_and_copy_the_rest(db) -> None:  # type: ignore[no-untyped-def]
    posted = await _posted(db)
    async with db.session() as s:
        entries = {e.id: e for e in (await s.scalars(select(JournalEntry))).all()}
        assert entries[posted.closing_entry_id].kind == "closing"  # both year-end entries written, dated 12-31
        assert entries[posted.entry_id].kind == "distribution"
        assert {entries[posted.entry_id].entry_date, entries[posted.closing_entry_id].entry_date} == {
            date(2025, 12, 31)
        }
        rev = await reverse_distribution(s, posted.id, "成员大会决议重新分配")
    async with db.session() as s:
        rows = (await s.scalars(select(Allocation))).all()
    original = {a.member_id: a for a in rows if a.distribution_id == posted.id}
    mirror = {a.member_id: a for a in rows if a.distribution_id == rev.id}
    assert original.keys() == mirror.keys() and len(original) == 2
    assert any(a.total_fen and a.capital_counted and a.member_days for a in original.values())
    for member_id, a in original.items():
        r = mirror[member_id]
        assert [getattr(r, n) for n in NEGATED] == [-getattr(a, n) for n in NEGATED]
        assert [getattr(r, n) for n in COPIED] == [getattr(a, n) for n in COPIED]
        assert (r.capital_counted, r.member_days, r.paid_channel) == (0, 0, "")
