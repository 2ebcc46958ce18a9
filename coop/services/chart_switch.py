"""Switching a cooperative's books to its kind's chart (新旧制度衔接): one entry, dated the switch-over day,
moves every balance still on accounts of another chart — written before the kind's chart existed here —
to the account its role has in the cooperative's own chart, member by member and fund by fund, so the
prior loss, the reserves and what is owed to members are read from the right accounts afterwards. The
history stays as written (posted rows are never changed); running it again finds nothing left to move."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from caoyuan.errors import BadInput
from coop.models import JournalEntry, JournalLine
from coop.rules.chart import Chart, chart_for
from coop.rules.journal import Line, credit, debit
from coop.services.ledger import require_cooperative, write_entry

KIND = "chart_switch"


def switch_lines(chart: Chart, balances: list[tuple[str, int | None, str, int]]) -> list[Line]:
    """(code, member, fund, debit − credit) of accounts not in ``chart`` → lines emptying each and putting
    the same balance on the chart's account for its role (pure)."""
    lines: list[Line] = []
    for code, member_id, fund, net in balances:
        if code in chart.accounts or net == 0:
            continue
        target, memo = chart.code(code), f"新旧科目衔接：{code} 转入《{chart.title}》"
        if net > 0:
            lines += [
                credit(code, net, member_id=member_id, fund=fund, memo=memo),
                debit(target, net, member_id=member_id, fund=fund, memo=memo),
            ]
        else:
            lines += [
                debit(code, -net, member_id=member_id, fund=fund, memo=memo),
                credit(target, -net, member_id=member_id, fund=fund, memo=memo),
            ]
    return lines


async def adopt_own_chart(
    db: AsyncSession, cooperative_id: int, on: date, user_id: int | None = None
) -> JournalEntry | None:
    """Move what is left on another chart's accounts (to ``on``) to the cooperative's own; None if nothing."""
    coop = await require_cooperative(db, cooperative_id)
    chart = chart_for(coop.kind)
    code, entry_date = col(JournalLine.account_code), col(JournalEntry.entry_date)
    mine, joined = col(JournalLine.cooperative_id) == cooperative_id, col(JournalEntry.id) == col(JournalLine.entry_id)
    net = func.sum(col(JournalLine.debit_fen) - col(JournalLine.credit_fen))
    keys = (code, col(JournalLine.member_id), col(JournalLine.fund))
    rows = (
        await db.execute(select(*keys, net).join(JournalEntry, joined).where(mine, entry_date <= on).group_by(*keys))
    ).all()
    later = (
        await db.execute(
            select(func.count(code))
            .join(JournalEntry, joined)
            .where(mine, entry_date > on, code.not_in(list(chart.accounts)))
        )
    ).scalar_one()
    if later:
        raise BadInput(f"{on} 以后还有记在旧科目上的凭证，请选最后一张旧凭证之后的日期衔接", field="on")
    lines = switch_lines(chart, [(k, member, fund, int(n)) for k, member, fund, n in rows])
    if not lines:
        return None
    return await write_entry(
        db,
        cooperative_id,
        lines,
        kind=KIND,
        description=f"执行《{chart.title}》新旧科目衔接",
        entry_date=on,
        user_id=user_id,
        localize=False,
    )
