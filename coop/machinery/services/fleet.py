"""The fleet: machines (linked to the 三资 register), maintenance, operators."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.auth.models import UserAccount
from caoyuan.auth.service import create_user
from caoyuan.errors import BadInput, Conflict, NotFound
from coop.machinery.models import HOLDING_STATUSES, Booking, ClosedDay, Machine, Maintenance, Operator

CAPACITY_MAX = 10_000_000  # hundredths of a mu a day: 100,000 mu, far above any crew; inside INTEGER
WAGE_MAX_FEN = 10_000_000  # ¥100,000 a mu or a day: far above any wage, inside INTEGER


async def fixed_asset(db: AsyncSession, machine: Machine):  # type: ignore[no-untyped-def]
    """The machine's row in the cooperative's 三资 register (cost, funding, insurance), if linked."""
    if machine.asset_id is None:
        return None
    from coop.models import FixedAsset  # the cooperative's register; read only

    return await db.get(FixedAsset, machine.asset_id)


async def insured_until(db: AsyncSession, machine: Machine) -> date | None:
    asset = await fixed_asset(db, machine)
    if asset is None or not asset.insurance_policy:
        return None
    return asset.insurance_expires_on


async def out_of_service_reason(db: AsyncSession, machine: Machine, day: date) -> str | None:
    """Why the machine may not be dispatched that day, in words; None when it may (one query when it may)."""
    if machine.active and await _dispatchable(db, machine, day):
        return None
    if not machine.active:
        return f"农机 {machine.plate} 已停用"
    asset = await fixed_asset(db, machine)
    if asset is not None and not asset.in_service:
        return f"农机 {machine.plate} 在三资台账中已停止使用"
    until = await insured_until(db, machine)
    if until is None:
        return f"农机 {machine.plate} 没有登记保险，不能派出"
    if until < day:
        return f"农机 {machine.plate} 的保险 {until} 到期，不能派出"
    upkeep = await db.scalar(
        select(Maintenance).where(
            Maintenance.machine_id == machine.id, Maintenance.starts_on <= day, Maintenance.ends_on >= day
        )
    )
    if upkeep is not None:
        return f"农机 {machine.plate} {upkeep.starts_on}～{upkeep.ends_on} 检修（{upkeep.note or '保养'}）"
    closed = await db.scalar(
        select(ClosedDay).where(ClosedDay.cooperative_id == machine.cooperative_id, ClosedDay.day == day)
    )
    if closed is not None:
        return f"{day} 停工：{closed.reason}"
    return None


async def _dispatchable(db: AsyncSession, machine: Machine, day: date) -> bool:
    """The whole check in one round trip: insured and in service on the register, no upkeep, no closed day."""
    from sqlalchemy import and_, exists

    from coop.models import FixedAsset

    query = select(FixedAsset.id).where(
        FixedAsset.id == machine.asset_id,
        FixedAsset.in_service,
        FixedAsset.insurance_policy != "",
        FixedAsset.insurance_expires_on >= day,
        ~exists().where(
            and_(Maintenance.machine_id == machine.id, Maintenance.starts_on <= day, Maintenance.ends_on >= day)
        ),
        ~exists().where(and_(ClosedDay.cooperative_id == machine.cooperative_id, ClosedDay.day == day)),
    )
    return machine.asset_id is not None and await db.scalar(query) is not None


async def machine_in(db: AsyncSession, cooperative_id: int, machine_id: int) -> Machine:
    machine = await db.get(Machine, machine_id)
    if machine is None or machine.cooperative_id != cooperative_id:
        raise NotFound("没有这台农机", field="machine_id")
    return machine


async def operator_in(db: AsyncSession, cooperative_id: int, operator_id: int) -> Operator:
    operator = await db.get(Operator, operator_id)
    if operator is None or operator.cooperative_id != cooperative_id:
        raise NotFound("没有这位农机手", field="operator_id")
    return operator


async def add_machine(
    db: AsyncSession,
    cooperative_id: int,
    *,
    kind: str,
    model: str,
    plate: str,
    daily_capacity: int,
    slope_factor_bp: int = 15000,
    asset_id: int | None = None,
) -> Machine:
    machine = Machine(cooperative_id=cooperative_id, kind="", model="", plate="", daily_capacity=0)
    await _fill_machine(
        db,
        machine,
        kind=kind,
        model=model,
        plate=plate,
        daily_capacity=daily_capacity,
        slope_factor_bp=slope_factor_bp,
        asset_id=asset_id,
    )
    db.add(machine)
    await db.flush()
    return machine


async def edit_machine(
    db: AsyncSession,
    cooperative_id: int,
    machine_id: int,
    *,
    kind: str,
    model: str,
    plate: str,
    daily_capacity: int,
    slope_factor_bp: int = 15000,
    asset_id: int | None = None,
) -> Machine:
    """The same checks as a new machine. Capacity rows already made for booked days keep their figure."""
    machine = await machine_in(db, cooperative_id, machine_id)
    await _fill_machine(
        db,
        machine,
        kind=kind,
        model=model,
        plate=plate,
        daily_capacity=daily_capacity,
        slope_factor_bp=slope_factor_bp,
        asset_id=asset_id,
    )
    await db.flush()
    return machine


async def _fill_machine(
    db: AsyncSession,
    machine: Machine,
    *,
    kind: str,
    model: str,
    plate: str,
    daily_capacity: int,
    slope_factor_bp: int,
    asset_id: int | None,
) -> None:
    if not kind.strip():
        raise BadInput("请填写农机种类，例如 玉米收割机", field="kind")
    _check_capacity(daily_capacity)
    if slope_factor_bp < 10000:
        raise BadInput("坡地系数不能小于 1", field="slope_factor_bp")
    if slope_factor_bp > 50000:
        raise BadInput("坡地系数不能大于 5", field="slope_factor_bp")
    plate = plate.strip()
    if not plate:
        raise BadInput("请填写牌照号或出厂编号", field="plate")
    taken = select(Machine.id).where(Machine.cooperative_id == machine.cooperative_id, Machine.plate == plate)
    if machine.id is not None:
        taken = taken.where(Machine.id != machine.id)
    if await db.scalar(taken):
        raise Conflict(f"牌照/编号 {plate} 已登记", field="plate")
    if asset_id is not None:
        await _check_asset(db, machine.cooperative_id, asset_id)
    machine.kind, machine.model, machine.plate = kind.strip(), model.strip(), plate
    machine.daily_capacity, machine.slope_factor_bp, machine.asset_id = daily_capacity, slope_factor_bp, asset_id


def _check_capacity(daily_capacity: int) -> None:
    if daily_capacity <= 0:
        raise BadInput("日作业能力必须大于零", field="daily_capacity")
    if daily_capacity > CAPACITY_MAX:
        raise BadInput(f"日作业能力最多 {CAPACITY_MAX // 100:,} 亩", field="daily_capacity")


async def set_machine_active(db: AsyncSession, cooperative_id: int, machine_id: int, active: bool) -> Machine:
    machine = await machine_in(db, cooperative_id, machine_id)
    if not active:
        await _no_jobs_held(db, Booking.machine_id == machine.id, f"农机 {machine.plate}")
    machine.active = active
    await db.flush()
    return machine


async def _no_jobs_held(db: AsyncSession, whose, label: str) -> None:  # type: ignore[no-untyped-def]
    """Jobs already given out must be moved first, so no farmer is left waiting for a stopped crew."""
    held = await db.scalar(select(func.count()).select_from(Booking).where(whose, Booking.status.in_(HOLDING_STATUSES)))
    if held:
        raise Conflict(f"{label}还有 {held} 单已排或进行中的作业，请先在调度页改派", field="active")


async def _check_asset(db: AsyncSession, cooperative_id: int, asset_id: int) -> None:
    from coop.models import FixedAsset

    asset = await db.get(FixedAsset, asset_id)
    if asset is None or asset.cooperative_id != cooperative_id:
        raise NotFound("三资台账中没有这项资产", field="asset_id")


WAGE_BASES = {"mu": "按亩", "day": "按天"}


async def add_operator(
    db: AsyncSession,
    cooperative_id: int,
    *,
    user_id: int,
    daily_capacity: int,
    wage_basis: str,
    wage_rate_fen: int,
    machine_id: int | None = None,
) -> Operator:
    """Link an existing login whose role is operator (made by the kernel's auth service)."""
    account = await db.get(UserAccount, user_id)
    if account is None or account.role != "operator":
        raise BadInput("农机手需要一个角色为 operator 的登录账户", field="user_id")
    if await db.scalar(select(Operator.id).where(Operator.user_id == user_id)):
        raise Conflict("这个账户已经是农机手", field="user_id")
    operator = Operator(
        cooperative_id=cooperative_id, user_id=user_id, name=account.display_name, daily_capacity=0, wage_rate_fen=0
    )
    await _fill_operator(
        db,
        operator,
        daily_capacity=daily_capacity,
        wage_basis=wage_basis,
        wage_rate_fen=wage_rate_fen,
        machine_id=machine_id,
    )
    db.add(operator)
    await db.flush()
    return operator


async def add_operator_with_login(
    db: AsyncSession,
    cooperative_id: int,
    *,
    phone: str,
    name: str,
    password: str,
    daily_capacity: int,
    wage_basis: str,
    wage_rate_fen: int,
    machine_id: int | None = None,
) -> Operator:
    """A new villager: the login is made by the kernel's create_user (role operator), then linked."""
    if not name.strip():
        raise BadInput("请填写农机手姓名", field="name")
    await _fill_operator(
        db,
        Operator(cooperative_id=cooperative_id, user_id=0, name="", daily_capacity=0, wage_rate_fen=0),
        daily_capacity=daily_capacity,
        wage_basis=wage_basis,
        wage_rate_fen=wage_rate_fen,
        machine_id=machine_id,
    )  # the wage is checked before a login is made
    account = await create_user(db, phone=phone, password=password, role="operator", display_name=name)
    return await add_operator(
        db,
        cooperative_id,
        user_id=account.id,
        daily_capacity=daily_capacity,  # type: ignore[arg-type]
        wage_basis=wage_basis,
        wage_rate_fen=wage_rate_fen,
        machine_id=machine_id,
    )


async def edit_operator(
    db: AsyncSession,
    cooperative_id: int,
    operator_id: int,
    *,
    daily_capacity: int,
    wage_basis: str,
    wage_rate_fen: int,
    machine_id: int | None = None,
    name: str | None = None,
) -> Operator:
    """Wages already accrued keep their amount; the new rule applies to work recorded from now on."""
    operator = await operator_in(db, cooperative_id, operator_id)
    if name is not None and not name.strip():
        raise BadInput("请填写农机手姓名", field="name")
    await _fill_operator(
        db,
        operator,
        daily_capacity=daily_capacity,
        wage_basis=wage_basis,
        wage_rate_fen=wage_rate_fen,
        machine_id=machine_id,
    )
    if name is not None:
        operator.name = name.strip()[:50]
    await db.flush()
    return operator


async def _fill_operator(
    db: AsyncSession,
    operator: Operator,
    *,
    daily_capacity: int,
    wage_basis: str,
    wage_rate_fen: int,
    machine_id: int | None,
) -> None:
    if wage_basis not in WAGE_BASES:
        raise BadInput("工资按亩（mu）或按天（day）计", field="wage_basis")
    _check_capacity(daily_capacity)
    if wage_rate_fen < 0:
        raise BadInput("工资不能为负", field="wage_rate_fen")
    if wage_rate_fen > WAGE_MAX_FEN:
        raise BadInput(f"工资最多 ¥{WAGE_MAX_FEN // 100:,}", field="wage_rate_fen")
    if machine_id is not None:
        await machine_in(db, operator.cooperative_id, machine_id)
    operator.daily_capacity, operator.wage_basis = daily_capacity, wage_basis
    operator.wage_rate_fen, operator.machine_id = wage_rate_fen, machine_id


async def set_operator_active(db: AsyncSession, cooperative_id: int, operator_id: int, active: bool) -> Operator:
    operator = await operator_in(db, cooperative_id, operator_id)
    if not active:
        await _no_jobs_held(db, Booking.operator_id == operator.id, f"农机手 {operator.name} ")
    operator.active = active
    await db.flush()
    return operator
