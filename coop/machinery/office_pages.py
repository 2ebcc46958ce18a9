"""The office's machinery pages: the day board (proposal, reschedule), the dashboard, the fleet and its upkeep."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from caoyuan import clock
from caoyuan.auth import Role
from caoyuan.auth.current import CurrentUser, requires
from caoyuan.bounds import OptionalYearParam
from caoyuan.deps import Db
from caoyuan.errors import AppError
from caoyuan.web.forms import parse_form, refused_form
from coop.machinery import charts
from coop.machinery.forms import (
    DayForm,
    MaintenanceForm,
    RescheduleForm,
)
from coop.machinery.models import STATUS_LABELS
from coop.machinery.pages import BOARD_ORDER, Form, _crew_choices, _day
from coop.machinery.services import listings, schedule
from coop.machinery.services.dashboard import dashboard
from coop.machinery.services.fleet import fixed_asset, machine_in, out_of_service_reason
from coop.machinery.services.quote_desk import acting_cooperative
from coop.machinery.views import booking_views


class MachineryOfficePages(Controller):
    path = "/machinery"
    include_in_schema = False

    @get("/board", guards=[requires(Role.ADMIN)])
    async def board(self, request: Request, db: Db, day: FromQuery[date | None] = None) -> Template:
        return Template("machinery/board.html", context=await _board_context(db, request.user, _day(day)))

    async def _on_board(self, request: Request, db: Db, data: dict[str, str], action) -> Template | Redirect:  # type: ignore[no-untyped-def]
        try:
            day = await action()
        except AppError as exc:
            try:
                shown = parse_form(data, DayForm).day or clock.today()
            except AppError:
                shown = clock.today()
            return await refused_form(
                db, exc, "machinery/board.html", data, lambda: _board_context(db, request.user, shown)
            )
        return Redirect(f"/machinery/board?day={day}", status_code=303)

    @post("/board/confirm", guards=[requires(Role.ADMIN)])
    async def confirm_board(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        async def action() -> date:
            day = parse_form(data, DayForm).day or clock.today()
            await schedule.confirm_proposal(db, await acting_cooperative(db, request.user, None), day)
            return day

        return await self._on_board(request, db, data, action)

    @post("/board/reschedule", guards=[requires(Role.ADMIN)])
    async def reschedule(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        async def action() -> date:
            form = parse_form(data, RescheduleForm)
            day = form.day or clock.today()
            await schedule.reschedule_day(
                db,
                await acting_cooperative(db, request.user, None),
                day,
                reason=form.reason,
                cause=form.cause,
                machine_id=form.machine_id,
            )
            return day

        return await self._on_board(request, db, data, action)

    @get("/dashboard", guards=[requires(Role.ADMIN)])
    async def dashboard_page(self, request: Request, db: Db, season: OptionalYearParam = None) -> Template:
        d = await dashboard(db, await acting_cooperative(db, request.user, None), season)
        status_rows = [
            (STATUS_LABELS[s], d.bookings_by_status.get(s, 0), str(d.bookings_by_status.get(s, 0)))
            for s in STATUS_LABELS
        ]
        per_day = [(m["plate"], m["mu_per_day_hundredths"], f"{m['mu_per_day']} 亩") for m in d.machines]
        usage = [(m["plate"], m["utilisation_bp"], f"{m['utilisation_bp'] / 100:.0f}%") for m in d.machines]
        svg = {
            "status": charts.bars(status_rows, title="各状态预约数"),
            "per_day": charts.bars(per_day, title="每台农机每个作业日完成亩数"),
            "usage": charts.bars(usage, title="农机产能利用率"),
            "saving": charts.goal(
                d.saving_fen,
                d.saving_goal_fen,
                title="农户节省",
                text=f"¥{d.saving_fen / 100:,.0f} / 目标 ¥{d.saving_goal_fen / 100:,.0f}",
            ),
            "income": charts.goal(
                d.income_fen,
                d.income_goal_fen,
                title="集体农机收入",
                text=f"¥{d.income_fen / 100:,.0f} / 目标 ¥{d.income_goal_fen / 100:,.0f}",
            ),
            "corn": charts.goal(
                d.corn_mechanised_bp,
                10000,
                title="玉米机收率",
                text=f"{d.corn_mechanised_bp / 100:.1f}% / 目标 100%（玉米 {d.corn_area} 亩）",
            ),
            "satisfaction": charts.goal(
                d.satisfied_bp or 0,
                d.satisfaction_goal_bp,
                title="满意率",
                text=(
                    f"{(d.satisfied_bp or 0) / 100:.1f}%（{d.ratings} 份评价）/ 目标 "
                    f"{d.satisfaction_goal_bp / 100:.0f}%"
                )
                if d.ratings
                else "暂无评价",
            ),
        }
        return Template("machinery/dashboard.html", context={"d": d, "svg": svg})

    @get("/fleet", guards=[requires(Role.ADMIN)])
    async def fleet_page(self, request: Request, db: Db) -> Template:
        return Template("machinery/fleet.html", context=await _fleet_context(db, request.user))

    @post("/fleet/maintenance", guards=[requires(Role.ADMIN)])
    async def add_maintenance(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        try:
            form = parse_form(data, MaintenanceForm)
            machine = await machine_in(db, await acting_cooperative(db, request.user, None), form.machine_id)
            await schedule.add_maintenance(
                db, machine, form.starts_on or clock.today(), form.ends_on or clock.today(), form.note
            )
        except AppError as exc:
            return await refused_form(db, exc, "machinery/fleet.html", data, lambda: _fleet_context(db, request.user))
        return Redirect("/machinery/fleet", status_code=303)


# ---------------------------------------------------------------------- page contexts (built afresh after a rollback)


async def _board_context(db: Db, user: CurrentUser, day: date) -> dict[str, Any]:
    coop_id = await acting_cooperative(db, user, None)
    choices = await _crew_choices(db, coop_id)
    on_day = await booking_views(db, await listings.board_day(db, coop_id, day, BOARD_ORDER))
    queue = await booking_views(db, await listings.waiting_queue(db, coop_id))
    slots, unplaced = await schedule.proposal(db, coop_id, day)
    by_machine = {m.plate: [b for b in on_day if b.machine == m.plate] for m in choices["machines"]}
    return {
        **choices,
        "day": day,
        "by_machine": by_machine,
        "queue": queue,
        "slots": slots,
        "unplaced": unplaced,
        "names": {b.id: b for b in queue},
        "prev": day - timedelta(1),
        "next": day + timedelta(1),
        "operators_by_id": {o.id: o for o in choices["operators"]},
        "machines_by_id": {m.id: m for m in choices["machines"]},
    }


async def _fleet_context(db: Db, user: CurrentUser) -> dict[str, Any]:
    coop_id = await acting_cooperative(db, user, None)
    today = clock.today()
    machines = await listings.machines_of(db, coop_id)
    rows = [(m, await fixed_asset(db, m), await out_of_service_reason(db, m, today)) for m in machines]
    upkeep = await listings.upkeep_ahead(db, [m.id for m in machines], today)
    operators = await listings.operators_of(db, coop_id)
    return {
        "rows": rows,
        "upkeep": upkeep,
        "operators": operators,
        "plates": {m.id: m.plate for m in machines},
        "today": today,
    }
