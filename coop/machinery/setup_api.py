"""Set-up API under /api/machinery (bearer token, admin only, the caller's cooperative only).

Service types, season prices, the pricing rule, operators and machines. The set-up page
(coop/machinery/setup_pages.py) calls the same services, so both refuse the same input the same way.
"""

from __future__ import annotations

from litestar import Controller, Request, get, patch, post, put
from litestar.params import JSONBody

from caoyuan import clock
from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.bounds import IdParam, OptionalYearParam, YearParam
from caoyuan.deps import Db
from caoyuan.identity import mask_phone
from coop.machinery.models import Machine, Operator, PricingPolicy, ServiceType
from coop.machinery.schemas import (
    ActiveIn,
    MachineEditIn,
    MachineIn,
    MachineOut,
    OperatorEditIn,
    OperatorNewIn,
    OperatorOut,
    PolicyIn,
    PolicyOut,
    PriceIn,
    PriceRowOut,
    ServiceIn,
    ServiceOut,
    ServiceRenameIn,
)
from coop.machinery.services import fleet, listings, setup
from coop.machinery.services.common import policy_for
from coop.machinery.services.quote_desk import area_param
from coop.machinery.views import mu_text


def service_out(s: ServiceType) -> ServiceOut:
    return ServiceOut(s.id, s.name, s.machine_kind, s.is_corn_harvest, s.active)  # type: ignore[arg-type]


def price_out(row: setup.PriceRow, season: int) -> PriceRowOut:
    p = row.price
    return PriceRowOut(
        row.service.id,
        row.service.name,
        row.service.active,
        season,  # type: ignore[arg-type]
        p.market_fen if p else None,
        p.member_fen if p else None,
        p.non_member_fen if p else None,
    )


def policy_out(p: PricingPolicy | setup.PolicyChange) -> PolicyOut:
    return PolicyOut(
        p.member_discount_fen,
        p.non_member_discount_fen,
        p.hardship_mode,
        p.hardship_reduction_fen,
        mu_text(p.max_area),
        p.season_starts_on,
    )


def machine_out(m: Machine) -> MachineOut:
    return MachineOut(
        m.id,
        m.kind,
        m.model,
        m.plate,
        mu_text(m.daily_capacity),
        m.slope_factor_bp,  # type: ignore[arg-type]
        m.asset_id,
        m.active,
    )


async def operator_outs(db: Db, rows: list[Operator]) -> list[OperatorOut]:
    phones = await listings.login_phones(db, [o.user_id for o in rows])
    return [
        OperatorOut(
            o.id,
            o.user_id,
            o.name,
            mask_phone(phones.get(o.user_id, "")),
            o.machine_id,  # type: ignore[arg-type]
            mu_text(o.daily_capacity),
            o.wage_basis,
            o.wage_rate_fen,
            o.active,
        )
        for o in rows
    ]


def policy_change(data: PolicyIn) -> setup.PolicyChange:
    return setup.PolicyChange(
        data.member_discount_fen,
        data.non_member_discount_fen,
        data.hardship_mode,
        data.hardship_reduction_fen,
        area_param(data.max_area, "max_area"),
        data.season_starts_on,
    )


class MachinerySetupApi(Controller):
    path = "/api/machinery"
    tags = ["machinery setup"]
    guards = [requires(Role.ADMIN)]

    # ------------------------------------------------------------------ service types

    @get("/services", summary="作业服务列表（含已停办）")
    async def list_services(self, request: Request, db: Db) -> list[ServiceOut]:
        return [service_out(s) for s in await setup.services(db, await setup.cooperative_of(db, request.user))]

    @post("/services", summary="新增作业服务")
    async def add_service(self, request: Request, db: Db, data: JSONBody[ServiceIn]) -> ServiceOut:
        coop_id = await setup.cooperative_of(db, request.user)
        return service_out(
            await setup.add_service(
                db, coop_id, name=data.name, machine_kind=data.machine_kind, is_corn_harvest=data.is_corn_harvest
            )
        )

    @patch("/services/{service_type_id:int}", summary="改名（及农机种类）")
    async def rename_service(
        self, request: Request, db: Db, service_type_id: IdParam, data: JSONBody[ServiceRenameIn]
    ) -> ServiceOut:
        coop_id = await setup.cooperative_of(db, request.user)
        return service_out(
            await setup.rename_service(db, coop_id, service_type_id, name=data.name, machine_kind=data.machine_kind)
        )

    @post("/services/{service_type_id:int}/active", summary="停办或恢复（从不删除）")
    async def service_active(
        self, request: Request, db: Db, service_type_id: IdParam, data: JSONBody[ActiveIn]
    ) -> ServiceOut:
        coop_id = await setup.cooperative_of(db, request.user)
        return service_out(await setup.set_service_active(db, coop_id, service_type_id, data.active))

    # ------------------------------------------------------------------ prices and the rule

    @get("/prices", summary="某年价格表（每亩，分）")
    async def list_prices(self, request: Request, db: Db, season: OptionalYearParam = None) -> list[PriceRowOut]:
        year = season or clock.today().year
        rows = await setup.price_list(db, await setup.cooperative_of(db, request.user), year)
        return [price_out(r, year) for r in rows]

    @put("/prices", summary="设定一项服务某年的每亩价格")
    async def set_price(self, request: Request, db: Db, data: JSONBody[PriceIn]) -> PriceRowOut:
        coop_id = await setup.cooperative_of(db, request.user)
        price = await setup.set_price(
            db,
            coop_id,
            service_type_id=data.service_type_id,
            season=data.season,
            market_fen=data.market_fen,
            member_fen=data.member_fen,
            non_member_fen=data.non_member_fen,
        )
        service = await setup.service_in(db, coop_id, data.service_type_id)
        return price_out(setup.PriceRow(service, price), data.season)

    @post("/prices/{season:int}/copy", summary="新一季沿用上一季的价格")
    async def copy_prices(self, request: Request, db: Db, season: YearParam) -> list[PriceRowOut]:
        coop_id = await setup.cooperative_of(db, request.user)
        await setup.copy_season(db, coop_id, season)
        return [price_out(r, season) for r in await setup.price_list(db, coop_id, season)]

    @get("/policy", summary="收费规则：社员/非社员优惠、困难户减免、每单面积上限")
    async def get_policy(self, request: Request, db: Db) -> PolicyOut:
        return policy_out(await policy_for(db, await setup.cooperative_of(db, request.user)))  # type: ignore[arg-type]

    @put("/policy", summary="修改收费规则")
    async def put_policy(self, request: Request, db: Db, data: JSONBody[PolicyIn]) -> PolicyOut:
        coop_id = await setup.cooperative_of(db, request.user)
        return policy_out(await setup.update_policy(db, coop_id, policy_change(data)))

    # ------------------------------------------------------------------ operators

    @get("/operators", summary="农机手列表")
    async def list_operators(self, request: Request, db: Db) -> list[OperatorOut]:
        coop_id = await setup.cooperative_of(db, request.user)
        return await operator_outs(db, list(await listings.operators_of(db, coop_id)))

    @post("/operators", summary="登记农机手（已有 operator 账户，或新建登录）")
    async def add_operator(self, request: Request, db: Db, data: JSONBody[OperatorNewIn]) -> OperatorOut:
        coop_id = await setup.cooperative_of(db, request.user, data.cooperative_id)
        terms = {
            "daily_capacity": area_param(data.daily_capacity, "daily_capacity"),
            "wage_basis": data.wage_basis,
            "wage_rate_fen": data.wage_rate_fen,
            "machine_id": data.machine_id,
        }
        if data.user_id is not None:
            operator = await fleet.add_operator(db, coop_id, user_id=data.user_id, **terms)  # type: ignore[arg-type]
        else:
            operator = await fleet.add_operator_with_login(
                db,
                coop_id,
                phone=data.phone,
                name=data.name,  # type: ignore[arg-type]
                password=data.password,
                **terms,
            )
        return (await operator_outs(db, [operator]))[0]

    @patch("/operators/{operator_id:int}", summary="修改农机手：工资规则、日作业能力、常用农机")
    async def edit_operator(
        self, request: Request, db: Db, operator_id: IdParam, data: JSONBody[OperatorEditIn]
    ) -> OperatorOut:
        coop_id = await setup.cooperative_of(db, request.user)
        operator = await fleet.edit_operator(
            db,
            coop_id,
            operator_id,
            daily_capacity=area_param(data.daily_capacity, "daily_capacity"),
            wage_basis=data.wage_basis,
            wage_rate_fen=data.wage_rate_fen,
            machine_id=data.machine_id,
            name=data.name,
        )
        return (await operator_outs(db, [operator]))[0]

    @post("/operators/{operator_id:int}/active", summary="停用或恢复农机手")
    async def operator_active(
        self, request: Request, db: Db, operator_id: IdParam, data: JSONBody[ActiveIn]
    ) -> OperatorOut:
        coop_id = await setup.cooperative_of(db, request.user)
        operator = await fleet.set_operator_active(db, coop_id, operator_id, data.active)
        return (await operator_outs(db, [operator]))[0]

    # ------------------------------------------------------------------ machines

    @get("/machines", summary="农机列表")
    async def list_machines(self, request: Request, db: Db) -> list[MachineOut]:
        coop_id = await setup.cooperative_of(db, request.user)
        return [machine_out(m) for m in await listings.machines_of(db, coop_id)]

    @post("/machines", summary="登记农机")
    async def add_machine(self, request: Request, db: Db, data: JSONBody[MachineIn]) -> MachineOut:
        machine = await fleet.add_machine(
            db,
            await setup.cooperative_of(db, request.user, data.cooperative_id),
            kind=data.kind,
            model=data.model,
            plate=data.plate,
            daily_capacity=area_param(data.daily_capacity, "daily_capacity"),
            slope_factor_bp=data.slope_factor_bp,
            asset_id=data.asset_id,
        )
        return machine_out(machine)

    @patch("/machines/{machine_id:int}", summary="修改农机（与登记时相同的检查）")
    async def edit_machine(
        self, request: Request, db: Db, machine_id: IdParam, data: JSONBody[MachineEditIn]
    ) -> MachineOut:
        machine = await fleet.edit_machine(
            db,
            await setup.cooperative_of(db, request.user),
            machine_id,
            kind=data.kind,
            model=data.model,
            plate=data.plate,
            daily_capacity=area_param(data.daily_capacity, "daily_capacity"),
            slope_factor_bp=data.slope_factor_bp,
            asset_id=data.asset_id,
        )
        return machine_out(machine)

    @post("/machines/{machine_id:int}/active", summary="停用或恢复农机")
    async def machine_active(
        self, request: Request, db: Db, machine_id: IdParam, data: JSONBody[ActiveIn]
    ) -> MachineOut:
        coop_id = await setup.cooperative_of(db, request.user)
        return machine_out(await fleet.set_machine_active(db, coop_id, machine_id, data.active))
