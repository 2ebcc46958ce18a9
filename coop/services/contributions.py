"""A member contributes land, cash, an in-kind asset or labour; it becomes shares (art. 13)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import BadInput
from coop.models import Contribution, ContributionKind, FixedAsset, MemberStatus, Resource, ShareOp
from coop.rules import chart as c
from coop.rules.charter import Terms
from coop.rules.journal import credit, debit, drop_zero
from coop.rules.shares import ShareRuleError, labour_value, land_value, to_shares
from coop.schemas import ContributionIn
from coop.services.charter import terms_in_force
from coop.services.ledger import write_entry
from coop.services.members import get_member
from coop.services.shares import lock_register, record

KIND_NAMES = {"land": "土地", "cash": "现金", "asset": "实物资产", "labour": "劳动力"}


def _value(terms: Terms, data: ContributionIn) -> int:
    if data.kind == ContributionKind.LAND:
        if data.term_from and data.term_to and data.term_to <= data.term_from:
            raise ShareRuleError("土地经营权流转期限的结束日期应晚于开始日期", "term_to")
        if not data.plot.strip():
            raise ShareRuleError("请填写入股地块（位置 / 地块编号）", "plot")
        return land_value(terms, data.area_hundredths or 0)
    if data.kind == ContributionKind.LABOUR:
        return labour_value(terms, data.labour_days or 0)
    if data.amount_fen is None or data.amount_fen <= 0:
        raise ShareRuleError("出资金额必须大于零", "amount_fen")
    if data.kind == ContributionKind.ASSET and (not data.asset_name.strip() or not data.appraiser.strip()):
        raise ShareRuleError("实物出资须写明资产名称和评估人", "appraiser")
    if data.kind == ContributionKind.CASH and data.channel not in c.MONEY_ACCOUNTS:
        raise ShareRuleError("现金出资的收款方式只能是现金、银行或支付宝", "channel")
    return data.amount_fen


async def contribute(
    db: AsyncSession, cooperative_id: int, data: ContributionIn, by_user_id: int | None = None
) -> Contribution:
    if data.kind not in KIND_NAMES:
        raise BadInput("出资方式只能是土地、现金、实物资产或劳动力", field="kind")
    member = await get_member(db, data.member_id, cooperative_id)
    if member.status != MemberStatus.ADMITTED:
        raise BadInput("只有在册社员可以入股", field="member_id")
    charter_id, terms = await terms_in_force(db, cooperative_id, data.contributed_on)
    try:
        valued = to_shares(terms, _value(terms, data))
    except ShareRuleError as exc:
        raise BadInput(str(exc), field=exc.field) from None
    number = await lock_register(db, cooperative_id)
    contribution = Contribution(
        cooperative_id=cooperative_id,
        member_id=member.id,
        kind=data.kind,  # type: ignore[arg-type]
        contributed_on=data.contributed_on,
        value_fen=valued.value_fen,
        shares=valued.shares,
        share_value_fen=valued.share_value_fen,
        capital_reserve_fen=valued.capital_reserve_fen,
        charter_id=charter_id,
        area_hundredths=data.area_hundredths if data.kind == "land" else None,
        plot=data.plot[:100],
        term_from=data.term_from,
        term_to=data.term_to,
        labour_days=data.labour_days if data.kind == "labour" else None,
        asset_name=data.asset_name[:100],
        appraiser=data.appraiser[:100],
        channel=data.channel if data.kind == "cash" else "",
        note=data.note[:200],
        created_by_user_id=by_user_id,
        entry_id=0,
    )
    asset_account = await _register_asset(db, cooperative_id, member.id, data, contribution, valued.value_fen)  # type: ignore[arg-type]
    memo = f"{member.name}{KIND_NAMES[data.kind]}入股 {valued.shares} 股"
    entry = await write_entry(
        db,
        cooperative_id,
        drop_zero(
            [
                debit(asset_account, valued.value_fen, memo=memo),
                credit(c.SHARE_CAPITAL, valued.share_value_fen, member_id=member.id, memo=memo),
                credit(c.CAPITAL_RESERVE, valued.capital_reserve_fen, member_id=member.id, memo="评估价值与股金的差额"),
            ]
        ),
        kind="contribution",
        description=memo,
        entry_date=data.contributed_on,
        user_id=by_user_id,
    )
    contribution.entry_id = entry.id  # type: ignore[assignment]
    db.add(contribution)
    await db.flush()
    await record(
        db,
        number,
        cooperative_id,
        [
            {
                "op": ShareOp.SUBSCRIBE,
                "member_id": member.id,
                "shares": valued.shares,
                "amount_fen": valued.share_value_fen,
                "effective_on": data.contributed_on,
                "contribution_id": contribution.id,
                "entry_id": entry.id,
                "reason": memo,
                "created_by_user_id": by_user_id,
            }
        ],
    )
    return contribution


async def _register_asset(
    db: AsyncSession,
    cooperative_id: int,
    member_id: int,
    data: ContributionIn,
    contribution: Contribution,
    value_fen: int,
) -> str:
    """Land and in-kind assets enter the 三资 register; returns the asset account debited."""
    if data.kind == ContributionKind.LAND:
        resource = Resource(
            cooperative_id=cooperative_id,
            kind="land",
            plot=data.plot[:100],
            area_hundredths=data.area_hundredths or 0,
            term_from=data.term_from,
            term_to=data.term_to,
            contributed_by_member_id=member_id,
            note="土地经营权入股",
        )
        db.add(resource)
        await db.flush()
        contribution.resource_id = resource.id
        return c.LAND_RIGHTS
    if data.kind == ContributionKind.ASSET:
        asset = FixedAsset(
            cooperative_id=cooperative_id,
            name=data.asset_name[:100],
            category=data.asset_category[:20] or "equipment",
            cost_fen=value_fen,
            funding_source="contribution",
            funding_note="社员实物入股",
            purchased_on=data.contributed_on,
            contributed_by_member_id=member_id,
            appraiser=data.appraiser[:100],
        )
        db.add(asset)
        await db.flush()
        contribution.fixed_asset_id = asset.id
        return c.FIXED_ASSETS
    if data.kind == ContributionKind.LABOUR:
        return c.LABOUR_CAPITAL
    return c.money_account(data.channel)
