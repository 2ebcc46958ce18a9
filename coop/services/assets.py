"""三资 register: fixed assets (with their funding and insurance), monthly depreciation, and the funds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan import audit
from caoyuan.clock import BEIJING
from caoyuan.errors import BadInput
from coop.models import FixedAsset, Posting, Resource
from coop.models.assets import FUNDING_LABELS
from coop.rules import chart as c
from coop.rules.depreciation import accumulated, for_month, months_in_service
from coop.rules.journal import credit, debit, drop_zero
from coop.services.charter import scope_of
from coop.services.ledger import require_cooperative, write_entry
from coop.services.reports import account_sums

FUNDING_CREDIT = {"special_fund": c.SPECIAL_FUND, "own": c.BANK}


@dataclass(frozen=True)
class FixedAssetIn:
    name: str
    category: str
    cost_fen: int
    funding_source: str  # special_fund | own
    purchased_on: date
    funding_note: str = ""
    asset_no: str = ""
    insurance_policy: str = ""
    insurance_expires_on: date | None = None
    useful_life_months: int = 120
    salvage_fen: int = 0


async def acquire(
    db: AsyncSession, cooperative_id: int, data: FixedAssetIn, by_user_id: int | None = None
) -> FixedAsset:
    """Bought with a state fund (Dr 固定资产, Cr 专项基金) or the collective's own money (Cr 银行存款)."""
    await require_cooperative(db, cooperative_id)
    if data.cost_fen <= 0:
        raise BadInput("资产原值必须大于零", field="cost_fen")
    if not 0 <= data.salvage_fen < data.cost_fen:
        raise BadInput("残值应小于原值且不为负", field="salvage_fen")
    if data.useful_life_months <= 0:
        raise BadInput("使用年限必须大于零", field="useful_life_months")
    if data.funding_source not in FUNDING_CREDIT:
        raise BadInput("资金来源只能是专项基金或自有资金（实物入股请走入股登记）", field="funding_source")
    if not data.name.strip():
        raise BadInput("请填写资产名称", field="name")
    asset = FixedAsset(cooperative_id=cooperative_id, **{k: getattr(data, k) for k in data.__dataclass_fields__})
    db.add(asset)
    await db.flush()
    memo = f"购入{data.name}（{FUNDING_LABELS[data.funding_source]}）"
    await write_entry(
        db,
        cooperative_id,
        [
            debit(c.FIXED_ASSETS, data.cost_fen, memo=memo),
            credit(FUNDING_CREDIT[data.funding_source], data.cost_fen, memo=memo),
        ],
        kind="asset",
        description=memo,
        entry_date=data.purchased_on,
        user_id=by_user_id,
    )
    await audit.record(
        db,
        actor_user_id=by_user_id,
        scope=scope_of(cooperative_id),
        action="asset.acquired",
        subject=data.name.strip(),
        detail={
            "cost_fen": data.cost_fen,
            "funding_source": data.funding_source,
            "purchased_on": data.purchased_on.isoformat(),
            "insurance_policy": data.insurance_policy,
            "insurance_expires_on": data.insurance_expires_on.isoformat() if data.insurance_expires_on else "",
        },
    )
    return asset


async def depreciate_month(db: AsyncSession, cooperative_id: int, year: int, month: int) -> int:
    """Book one month's depreciation of every asset in service; once per month (idempotent)."""
    await require_cooperative(db, cooperative_id)
    reference = f"depreciation:{cooperative_id}:{year:04d}-{month:02d}"
    if await db.scalar(select(Posting.id).where(Posting.reference == reference)):
        return 0
    if not 1 <= month <= 12:
        raise BadInput("月份应在 1 到 12 之间", field="month")
    month_end = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    assets = (
        await db.scalars(
            select(FixedAsset).where(FixedAsset.cooperative_id == cooperative_id, FixedAsset.in_service.is_(True))
        )
    ).all()
    charges = {"": 0, c.MACHINERY_FUND: 0}  # machines' depreciation is a machinery cost
    lines = []
    for a in assets:
        n = months_in_service(a.purchased_on, month_end)
        amount = for_month(a.cost_fen, a.salvage_fen, a.useful_life_months, n) if n else 0
        if amount:
            charges[c.MACHINERY_FUND if a.category == "machine" else ""] += amount
            lines.append(credit(c.DEPRECIATION_ACC, amount, memo=f"{a.name} 第 {n} 个月折旧"))
    total = sum(charges.values())
    if not total:
        return 0
    occurred = datetime.combine(month_end, time(23, 0), BEIJING)
    debits = drop_zero([debit(c.DEPRECIATION, amount, fund=fund) for fund, amount in charges.items()])
    entry = await write_entry(
        db,
        cooperative_id,
        [*debits, *lines],
        kind="depreciation",
        description=f"{year} 年 {month} 月固定资产折旧",
        occurred_at=occurred,
        entry_date=month_end,
    )
    db.add(
        Posting(
            reference=reference,
            cooperative_id=cooperative_id,
            kind="depreciation",
            amount_fen=total,
            fingerprint=reference,
            entry_id=entry.id,
        )
    )  # type: ignore[arg-type]
    await db.flush()
    return total


@dataclass(frozen=True)
class AssetRow:
    asset: FixedAsset
    accumulated_fen: int
    net_fen: int
    insurance_due: bool  # expired or expiring within 30 days


async def register_view(db: AsyncSession, cooperative_id: int, on: date) -> dict[str, object]:
    assets = (
        await db.scalars(select(FixedAsset).where(FixedAsset.cooperative_id == cooperative_id).order_by(FixedAsset.id))
    ).all()
    rows = []
    for a in assets:
        acc = accumulated(a.cost_fen, a.salvage_fen, a.useful_life_months, months_in_service(a.purchased_on, on))
        due = a.insurance_expires_on is not None and (a.insurance_expires_on - on).days <= 30
        rows.append(AssetRow(a, acc, a.cost_fen - acc, due))
    resources = (
        await db.scalars(select(Resource).where(Resource.cooperative_id == cooperative_id).order_by(Resource.id))
    ).all()
    sums = await account_sums(db, cooperative_id, end=on)
    chart = c.chart_for((await require_cooperative(db, cooperative_id)).kind)  # the books are in the kind's chart
    codes = [chart.code(r) for r in (c.CASH, c.BANK, c.ALIPAY, c.SPECIAL_FUND, c.SURPLUS_RESERVE, c.WELFARE_FUND)]
    funds = [(code, c.account(code).name, c.signed_balance(code, *sums[code])) for code in codes if code in sums]
    return {"assets": rows, "resources": list(resources), "funds": funds}
