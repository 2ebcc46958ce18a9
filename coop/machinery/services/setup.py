"""Setting up the fleet's services and prices from a page or the API, without a developer.

Service types (list, add, rename, retire — never deleted: old bookings name them), season prices per mu
(a new season copies the last one), and the charter's pricing rule. Pages and API call these same
functions; every refusal names its field and the request's transaction is rolled back, so nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan import clock
from caoyuan.auth.current import CurrentUser
from caoyuan.bounds import check_day
from caoyuan.errors import BadInput, Conflict, Forbidden, NotFound
from coop.machinery.models import Manager, PricingPolicy, SeasonPrice, ServiceType
from coop.machinery.rules.pricing import HARDSHIP_REDUCE, HARDSHIP_WAIVE
from coop.machinery.services.common import default_cooperative_id

PRICE_MAX_FEN = 10_000_000  # ¥100,000 a mu: far above any real price, well inside INTEGER
AREA_MAX = 10_000_000  # hundredths of a mu: 100,000 mu per booking


async def cooperative_of(db: AsyncSession, user: CurrentUser, given: int | None = None) -> int:
    """The cooperative whose fleet this admin keeps. A manager row binds the login to one cooperative;
    naming another is refused. Without a row the admin is the install's own (its one cooperative)."""
    bound = await db.scalar(select(Manager.cooperative_id).where(Manager.user_id == user.id))
    if bound is not None:
        if given is not None and given != bound:
            raise Forbidden("只能管理本社的农机服务", field="cooperative_id")
        return bound
    from coop.access import granted  # the admin's cooperatives (coop.access): the same rule as coop's pages

    allowed = await granted(db, user.id)
    if allowed is not None:
        if given is not None and given not in allowed:
            raise Forbidden("只能管理本社的农机服务", field="cooperative_id")
        if given is None and len(allowed) == 1:
            return next(iter(allowed))
    if given is not None:
        from coop.models import Cooperative  # read only

        if await db.get(Cooperative, given) is None:
            raise NotFound("没有这个合作社", field="cooperative_id")
        return given
    return await default_cooperative_id(db)


async def bind_manager(db: AsyncSession, phone: str, cooperative_id: int) -> Manager:
    """Tie an admin login to the cooperative whose fleet it keeps (for installs with several cooperatives)."""
    from caoyuan.auth.models import UserAccount
    from caoyuan.identity import IdentityError, normalize_phone
    from coop.models import Cooperative

    try:
        phone = normalize_phone(phone)
    except IdentityError as exc:
        raise BadInput(str(exc), field="phone") from None
    account = await db.scalar(select(UserAccount).where(UserAccount.phone == phone))
    if account is None or account.role != "admin":
        raise BadInput(f"{phone} 不是管理员账户", field="phone")
    if await db.get(Cooperative, cooperative_id) is None:
        raise NotFound("没有这个合作社", field="cooperative_id")
    from coop.access import granted

    allowed = await granted(db, account.id)  # type: ignore[arg-type]
    if allowed is not None and cooperative_id not in allowed:
        raise Forbidden(f"{phone} 没有获授权在合作社 #{cooperative_id} 工作", field="cooperative_id")
    row = await db.scalar(select(Manager).where(Manager.user_id == account.id))
    if row is None:
        row = Manager(user_id=account.id, cooperative_id=cooperative_id)  # type: ignore[arg-type]
        db.add(row)
    row.cooperative_id = cooperative_id
    await db.flush()
    return row


# ---------------------------------------------------------------------- service types


def _clean(text: str, field: str, label: str, most: int) -> str:
    text = text.strip()
    if not text:
        raise BadInput(f"请填写{label}", field=field)
    if len(text) > most:
        raise BadInput(f"{label}最多 {most} 个字", field=field)
    return text


async def services(db: AsyncSession, cooperative_id: int) -> list[ServiceType]:
    query = select(ServiceType).where(ServiceType.cooperative_id == cooperative_id)
    return list((await db.scalars(query.order_by(ServiceType.active.desc(), ServiceType.id))).all())


async def service_in(db: AsyncSession, cooperative_id: int, service_type_id: int) -> ServiceType:
    row = await db.get(ServiceType, service_type_id)
    if row is None or row.cooperative_id != cooperative_id:
        raise NotFound("本社没有这项作业服务", field="service_type_id")
    return row


async def _name_free(db: AsyncSession, cooperative_id: int, name: str, but: int | None = None) -> None:
    query = select(ServiceType.id).where(ServiceType.cooperative_id == cooperative_id, ServiceType.name == name)
    if but is not None:
        query = query.where(ServiceType.id != but)
    if await db.scalar(query) is not None:
        raise Conflict(f"已有「{name}」这项服务", field="name")


async def add_service(
    db: AsyncSession, cooperative_id: int, *, name: str, machine_kind: str, is_corn_harvest: bool = False
) -> ServiceType:
    name = _clean(name, "name", "服务名称", 30)
    kind = _clean(machine_kind, "machine_kind", "农机种类", 30)
    await _name_free(db, cooperative_id, name)
    row = ServiceType(cooperative_id=cooperative_id, name=name, machine_kind=kind, is_corn_harvest=is_corn_harvest)
    db.add(row)
    await db.flush()
    return row


async def rename_service(
    db: AsyncSession, cooperative_id: int, service_type_id: int, *, name: str, machine_kind: str | None = None
) -> ServiceType:
    row = await service_in(db, cooperative_id, service_type_id)
    name = _clean(name, "name", "服务名称", 30)
    await _name_free(db, cooperative_id, name, but=row.id)
    row.name = name
    if machine_kind is not None:
        row.machine_kind = _clean(machine_kind, "machine_kind", "农机种类", 30)
    await db.flush()
    return row


async def set_service_active(db: AsyncSession, cooperative_id: int, service_type_id: int, active: bool) -> ServiceType:
    """Retire (no new bookings; its bookings and prices stay) or offer again. Nothing is ever deleted."""
    row = await service_in(db, cooperative_id, service_type_id)
    row.active = active
    await db.flush()
    return row


# ---------------------------------------------------------------------- season prices


@dataclass(frozen=True, slots=True)
class PriceRow:
    service: ServiceType
    price: SeasonPrice | None


async def price_list(db: AsyncSession, cooperative_id: int, season: int) -> list[PriceRow]:
    rows = await services(db, cooperative_id)
    prices = {
        p.service_type_id: p
        for p in (
            await db.scalars(
                select(SeasonPrice).where(
                    SeasonPrice.season == season, SeasonPrice.service_type_id.in_([s.id for s in rows])
                )
            )
        ).all()
    }
    return [PriceRow(s, prices.get(s.id)) for s in rows]  # type: ignore[arg-type]


def _check_amount(value: int | None, field: str, label: str) -> None:
    if value is not None and value < 0:
        raise BadInput(f"{label}不能低于零", field=field)
    if value is not None and value > PRICE_MAX_FEN:
        raise BadInput(f"{label}最多 ¥{PRICE_MAX_FEN // 100:,} 每亩", field=field)


async def set_price(
    db: AsyncSession,
    cooperative_id: int,
    *,
    service_type_id: int,
    season: int,
    market_fen: int,
    member_fen: int | None = None,
    non_member_fen: int | None = None,
) -> SeasonPrice:
    """One service's prices per mu for a season. Blank member/non-member prices follow the charter's rule."""
    service = await service_in(db, cooperative_id, service_type_id)
    _check_amount(market_fen, "market_fen", "市场价")
    _check_amount(member_fen, "member_fen", "社员价")
    _check_amount(non_member_fen, "non_member_fen", "非社员价")
    if member_fen is not None and member_fen > market_fen:
        raise BadInput("社员价不能高于市场价", field="member_fen")
    if non_member_fen is not None and non_member_fen > market_fen:
        raise BadInput("非社员价不能高于市场价", field="non_member_fen")
    policy = await _policy_row(db, cooperative_id)
    _discounts_fit(service.name, market_fen, member_fen, non_member_fen, policy, field="market_fen")
    row = await db.scalar(
        select(SeasonPrice).where(SeasonPrice.service_type_id == service.id, SeasonPrice.season == season)
    )
    if row is None:
        row = SeasonPrice(service_type_id=service.id, season=season, market_fen=market_fen)  # type: ignore[arg-type]
        db.add(row)
    row.market_fen, row.member_fen, row.non_member_fen = market_fen, member_fen, non_member_fen
    await db.flush()
    return row


def _discounts_fit(
    name: str, market_fen: int, member_fen: int | None, non_member_fen: int | None, policy: PricingPolicy, *, field: str
) -> None:
    """A price that follows the rule must stay above zero after the discount: a discount beyond the price."""
    if member_fen is None and policy.member_discount_fen > market_fen:
        raise BadInput(
            f"「{name}」市场价 ¥{market_fen / 100:.2f} 低于社员优惠 ¥{policy.member_discount_fen / 100:.2f}，"
            "请提高市场价、填写社员价，或减少优惠",
            field=field,
        )
    if non_member_fen is None and policy.non_member_discount_fen > market_fen:
        raise BadInput(
            f"「{name}」市场价 ¥{market_fen / 100:.2f} 低于非社员优惠 "
            f"¥{policy.non_member_discount_fen / 100:.2f}，请提高市场价、填写非社员价，或减少优惠",
            field=field,
        )


async def copy_season(db: AsyncSession, cooperative_id: int, season: int) -> list[SeasonPrice]:
    """Start a season from the latest earlier one's prices (then edited); refused if it already has prices."""
    ids = select(ServiceType.id).where(ServiceType.cooperative_id == cooperative_id)
    have = await db.scalar(
        select(func.count())
        .select_from(SeasonPrice)
        .where(SeasonPrice.season == season, SeasonPrice.service_type_id.in_(ids))
    )
    if have:
        raise Conflict(f"{season} 年已有价格，请直接修改", field="season")
    last = await db.scalar(
        select(func.max(SeasonPrice.season)).where(SeasonPrice.season < season, SeasonPrice.service_type_id.in_(ids))
    )
    if last is None:
        raise BadInput(f"{season} 年以前没有价格可以沿用，请逐项填写", field="season")
    copied = [
        SeasonPrice(
            service_type_id=p.service_type_id,
            season=season,
            market_fen=p.market_fen,
            member_fen=p.member_fen,
            non_member_fen=p.non_member_fen,
        )
        for p in (
            await db.scalars(
                select(SeasonPrice).where(SeasonPrice.season == last, SeasonPrice.service_type_id.in_(ids))
            )
        ).all()
    ]
    db.add_all(copied)
    await db.flush()
    return copied


# ---------------------------------------------------------------------- the charter's pricing rule


@dataclass(frozen=True, slots=True)
class PolicyChange:
    member_discount_fen: int
    non_member_discount_fen: int
    hardship_mode: str
    hardship_reduction_fen: int
    max_area: int  # hundredths of a mu per booking
    season_starts_on: date | None = None  # the harvest's first day (slope plots first); None: unchanged


async def _policy_row(db: AsyncSession, cooperative_id: int) -> PricingPolicy:
    row = await db.scalar(select(PricingPolicy).where(PricingPolicy.cooperative_id == cooperative_id))
    return row or PricingPolicy(cooperative_id=cooperative_id)


async def update_policy(db: AsyncSession, cooperative_id: int, change: PolicyChange) -> PricingPolicy:
    """Change the member/non-member rule, hardship relief and the largest booking; checked against every
    season's prices that follow the rule, so no farmer is ever quoted below zero."""
    _check_amount(change.member_discount_fen, "member_discount_fen", "社员优惠")
    _check_amount(change.non_member_discount_fen, "non_member_discount_fen", "非社员优惠")
    _check_amount(change.hardship_reduction_fen, "hardship_reduction_fen", "困难户减免")
    if change.hardship_mode not in (HARDSHIP_REDUCE, HARDSHIP_WAIVE):
        raise BadInput("困难户：选「减免每亩」或「全免」", field="hardship_mode")
    if not 0 < change.max_area <= AREA_MAX:
        raise BadInput(f"每单面积上限须在 0.01 至 {AREA_MAX // 100:,} 亩之间", field="max_area")
    row = await _policy_row(db, cooperative_id)
    for field in (
        "member_discount_fen",
        "non_member_discount_fen",
        "hardship_mode",
        "hardship_reduction_fen",
        "max_area",
    ):
        setattr(row, field, getattr(change, field))
    if change.season_starts_on is not None:
        row.season_starts_on = check_day(change.season_starts_on, "season_starts_on")
    await _policy_fits_prices(db, cooperative_id, row)
    db.add(row)
    await db.flush()
    db.info.get("machinery.policy", {}).pop(cooperative_id, None)  # the request's memo holds the old rule
    return row


async def _policy_fits_prices(db: AsyncSession, cooperative_id: int, policy: PricingPolicy) -> None:
    query = (
        select(SeasonPrice, ServiceType.name)
        .join(ServiceType, ServiceType.id == SeasonPrice.service_type_id)
        .where(
            ServiceType.cooperative_id == cooperative_id, ServiceType.active, SeasonPrice.season >= clock.today().year
        )
    )  # past seasons are history
    rows = (await db.execute(query)).all()
    for price, name in rows:  # a discount beyond a price first: it is what the person just typed
        field = (
            "member_discount_fen"
            if price.member_fen is None and policy.member_discount_fen > price.market_fen
            else "non_member_discount_fen"
        )
        try:
            _discounts_fit(name, price.market_fen, price.member_fen, price.non_member_fen, policy, field=field)
        except BadInput as exc:
            exc.message = f"{price.season} 年{exc.message}"
            raise
    for price, name in rows:
        member_price = (
            price.member_fen if price.member_fen is not None else price.market_fen - policy.member_discount_fen
        )
        if policy.hardship_mode == HARDSHIP_REDUCE and policy.hardship_reduction_fen > member_price:
            raise BadInput(
                f"困难户减免 ¥{policy.hardship_reduction_fen / 100:.2f} 超过 {price.season} 年「{name}」"
                f"的社员价 ¥{member_price / 100:.2f}；要全免请选「全免」",
                field="hardship_reduction_fen",
            )
