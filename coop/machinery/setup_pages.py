"""/machinery/setup: the village office sets up its fleet from a page (admin, zh-CN, works without JavaScript).

Each form calls the same service as /api/machinery/...; a refusal shows the page again with the message at
the field of the form that was sent (``form_id``), the input kept and nothing changed (refused_form rolls back).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from caoyuan import clock
from caoyuan.auth import Role
from caoyuan.auth.current import CurrentUser, requires
from caoyuan.bounds import YEAR_MAX, YEAR_MIN, IdParam, OptionalYearParam
from caoyuan.deps import Db
from caoyuan.errors import AppError
from caoyuan.identity import mask_phone
from caoyuan.web.forms import parse_form, refused_form
from coop.machinery.forms import ActiveForm, MachineForm, OperatorForm, PolicyForm, PriceForm, SeasonForm, ServiceForm
from coop.machinery.pages import Form
from coop.machinery.services import fleet, listings, setup
from coop.machinery.services.common import policy_for

PAGE = "/machinery/setup"
SavedParam = Annotated[str, Parameter(max_length=30)]


class MachinerySetupPages(Controller):
    path = PAGE
    include_in_schema = False
    guards = [requires(Role.ADMIN)]

    @get("/")
    async def setup_page(
        self, request: Request, db: Db, season: OptionalYearParam = None, saved: SavedParam = ""
    ) -> Template:
        context = await setup_context(db, request.user, season or clock.today().year)
        return Template("machinery/setup.html", context={**context, "saved": saved[:30]})

    async def _on(
        self, request: Request, db: Db, data: dict[str, str], action: Callable[[int], Awaitable[Any]]
    ) -> Template | Redirect:
        """Run one form's action for the caller's cooperative; refused → the page again, nothing changed."""
        season = _season(data)
        try:
            await action(await setup.cooperative_of(db, request.user))
        except AppError as exc:

            async def context() -> dict[str, Any]:
                return {**await setup_context(db, request.user, season), "failed": data.get("form_id", "")}

            return await refused_form(db, exc, "machinery/setup.html", data, context)
        form_id = re.sub(r"[^a-z0-9-]", "", str(data.get("form_id", "")))[:30]  # only ever our own ids
        return Redirect(f"{PAGE}?season={season}&saved={form_id}#{form_id.split('-')[0]}", status_code=303)

    # ------------------------------------------------------------------ service types

    @post("/services")
    async def add_service(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        async def action(coop_id: int) -> None:
            form = parse_form(data, ServiceForm)
            await setup.add_service(
                db, coop_id, name=form.name, machine_kind=form.machine_kind, is_corn_harvest=form.corn
            )

        return await self._on(request, db, data, action)

    @post("/services/{service_type_id:int}")
    async def rename_service(
        self, request: Request, db: Db, service_type_id: IdParam, data: Form
    ) -> Template | Redirect:
        async def action(coop_id: int) -> None:
            form = parse_form(data, ServiceForm)
            await setup.rename_service(db, coop_id, service_type_id, name=form.name, machine_kind=form.machine_kind)

        return await self._on(request, db, data, action)

    @post("/services/{service_type_id:int}/active")
    async def service_active(
        self, request: Request, db: Db, service_type_id: IdParam, data: Form
    ) -> Template | Redirect:
        async def action(coop_id: int) -> None:
            await setup.set_service_active(db, coop_id, service_type_id, parse_form(data, ActiveForm).on)

        return await self._on(request, db, data, action)

    # ------------------------------------------------------------------ prices and the rule

    @post("/prices")
    async def set_price(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        async def action(coop_id: int) -> None:
            form = parse_form(data, PriceForm)
            await setup.set_price(
                db, coop_id, service_type_id=form.service_type_id, season=form.season, **form.amounts()
            )  # type: ignore[arg-type]

        return await self._on(request, db, data, action)

    @post("/prices/copy")
    async def copy_prices(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        async def action(coop_id: int) -> None:
            await setup.copy_season(db, coop_id, parse_form(data, SeasonForm).season)

        return await self._on(request, db, data, action)

    @post("/policy")
    async def policy(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        async def action(coop_id: int) -> None:
            await setup.update_policy(db, coop_id, parse_form(data, PolicyForm).change())

        return await self._on(request, db, data, action)

    # ------------------------------------------------------------------ operators

    @post("/operators")
    async def add_operator(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        async def action(coop_id: int) -> None:
            form = parse_form(data, OperatorForm)
            if form.user_id is not None:
                await fleet.add_operator(db, coop_id, user_id=form.user_id, **form.terms())
            else:
                await fleet.add_operator_with_login(
                    db, coop_id, phone=form.phone, name=form.name, password=form.password, **form.terms()
                )

        return await self._on(request, db, data, action)

    @post("/operators/{operator_id:int}")
    async def edit_operator(self, request: Request, db: Db, operator_id: IdParam, data: Form) -> Template | Redirect:
        async def action(coop_id: int) -> None:
            form = parse_form(data, OperatorForm)
            await fleet.edit_operator(db, coop_id, operator_id, name=form.name or None, **form.terms())

        return await self._on(request, db, data, action)

    @post("/operators/{operator_id:int}/active")
    async def operator_active(self, request: Request, db: Db, operator_id: IdParam, data: Form) -> Template | Redirect:
        async def action(coop_id: int) -> None:
            await fleet.set_operator_active(db, coop_id, operator_id, parse_form(data, ActiveForm).on)

        return await self._on(request, db, data, action)

    # ------------------------------------------------------------------ machines

    @post("/machines")
    async def add_machine(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        async def action(coop_id: int) -> None:
            await fleet.add_machine(db, coop_id, **parse_form(data, MachineForm).fields())

        return await self._on(request, db, data, action)

    @post("/machines/{machine_id:int}")
    async def edit_machine(self, request: Request, db: Db, machine_id: IdParam, data: Form) -> Template | Redirect:
        async def action(coop_id: int) -> None:
            await fleet.edit_machine(db, coop_id, machine_id, **parse_form(data, MachineForm).fields())

        return await self._on(request, db, data, action)

    @post("/machines/{machine_id:int}/active")
    async def machine_active(self, request: Request, db: Db, machine_id: IdParam, data: Form) -> Template | Redirect:
        async def action(coop_id: int) -> None:
            await fleet.set_machine_active(db, coop_id, machine_id, parse_form(data, ActiveForm).on)

        return await self._on(request, db, data, action)


def _season(data: dict[str, str]) -> int:
    """The season the page was showing (a bad value falls back to this year: the page still renders)."""
    text = str(data.get("season", ""))
    if text.isdigit() and YEAR_MIN <= int(text) <= YEAR_MAX:
        return int(text)
    return clock.today().year


async def setup_context(db: Db, user: CurrentUser, season: int) -> dict[str, Any]:
    """Built afresh after a rollback: nothing loaded before it reaches the template."""
    coop_id = await setup.cooperative_of(db, user)
    machines = await listings.machines_of(db, coop_id)
    operators = await listings.operators_of(db, coop_id)
    free_logins = await listings.free_operator_logins(db)
    phones = await listings.login_phones(db, [o.user_id for o in operators])
    prices = await setup.price_list(db, coop_id, season)
    assets = await listings.asset_choices(db, coop_id)
    return {
        "season": season,
        "services": await setup.services(db, coop_id),
        "prices": [p for p in prices if p.service.active],
        "priced": any(p.price is not None for p in prices),
        "policy": await policy_for(db, coop_id),
        "machines": machines,
        "plates": {m.id: m.plate for m in machines},
        "operators": operators,
        "phones": {k: mask_phone(v) for k, v in phones.items()},
        "free_logins": [(u.id, u.display_name, mask_phone(u.phone)) for u in free_logins],
        "assets": [(asset_id, f"{asset_no} {name}".strip()) for asset_id, asset_no, name in assets],
        "failed": "",
        "form": {},
    }
