"""The operator's machinery pages: today's jobs, 开始作业 and 完成 with the measured 亩 (a confirmation follows)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from caoyuan import clock
from caoyuan.auth import Role
from caoyuan.auth.current import CurrentUser, requires
from caoyuan.bounds import IdParam, OptionalIdParam
from caoyuan.deps import Db
from caoyuan.errors import AppError
from caoyuan.web.forms import parse_form, refused_form
from coop.machinery.forms import (
    BackForm,
    CompleteForm,
)
from coop.machinery.pages import BOARD_ORDER, Form, _back, _day
from coop.machinery.schemas import CompleteIn
from coop.machinery.services import listings, work
from coop.machinery.services.common import (
    booking_for,
    caller_for,
    operator_of_user,
)
from coop.machinery.views import booking_view, booking_views


class MachineryJobPages(Controller):
    path = "/machinery"
    include_in_schema = False

    @get("/today", guards=[requires(Role.OPERATOR, Role.ADMIN)])
    async def today(
        self, request: Request, db: Db, day: FromQuery[date | None] = None, done: OptionalIdParam = None
    ) -> Template:
        context = await _today_context(db, request.user, _day(day))
        if done is not None:
            context.update(await _recorded(db, context, done))
        return Template("machinery/today.html", context=context)

    async def _on_job(
        self, request: Request, db: Db, booking_id: int, data: dict[str, str], action
    ) -> Template | Redirect:  # type: ignore[no-untyped-def]
        """Run an operator's action; a refusal shows that day's job list again with the message at the job."""
        day = await listings.booking_day(db, booking_id) or clock.today()
        try:
            await action()
        except AppError as exc:

            async def context() -> dict[str, Any]:
                return {**await _today_context(db, request.user, day), "failed_id": booking_id}

            return await refused_form(db, exc, "machinery/today.html", data, context)
        return _back(data, f"/machinery/today?day={day}")

    @post("/bookings/{booking_id:int}/start", guards=[requires(Role.OPERATOR, Role.ADMIN)])
    async def start(self, request: Request, db: Db, booking_id: IdParam, data: Form) -> Template | Redirect:
        async def action() -> None:
            parse_form(data, BackForm)
            booking = await booking_for(db, booking_id, lock=True)
            await work.start(db, await caller_for(db, request.user, booking.cooperative_id), booking)

        return await self._on_job(request, db, booking_id, data, action)

    @post("/bookings/{booking_id:int}/complete", guards=[requires(Role.OPERATOR, Role.ADMIN)])
    async def complete(self, request: Request, db: Db, booking_id: IdParam, data: Form) -> Template | Redirect:
        async def action() -> None:
            form = parse_form(data, CompleteForm)
            booking = await booking_for(db, booking_id, lock=True)
            body = CompleteIn(
                measured_area=form.measured_area,
                fuel_litres=form.fuel_litres,
                started_at=form.moment(booking.scheduled_on, "start"),
                ended_at=form.moment(booking.scheduled_on, "end"),
            )
            await work.complete(db, await caller_for(db, request.user, booking.cooperative_id), booking, body)

        answer = await self._on_job(request, db, booking_id, data, action)
        if isinstance(answer, Redirect) and answer.url.startswith("/machinery/today"):  # type: ignore[attr-defined]
            # the operator sees what was recorded and the next job (today.html)
            joiner = "&" if "?" in answer.url else "?"  # type: ignore[attr-defined]
            return Redirect(f"{answer.url}{joiner}done={booking_id}", status_code=303)  # type: ignore[attr-defined]
        return answer

    # ------------------------------------------------------------------ dispatcher and accountant


async def _today_context(db: Db, user: CurrentUser, day: date) -> dict[str, Any]:
    operator = await operator_of_user(db, user.id)
    # the admin sees every operator's jobs; a login that is no operator's (-1) sees none
    whose = None if user.role == Role.ADMIN else (operator.id if operator else -1)
    rows = await listings.jobs_on(db, day, BOARD_ORDER, whose)
    return {
        "day": day,
        "operator": operator,
        "bookings": await booking_views(db, rows),
        "prev": day - timedelta(1),
        "next": day + timedelta(1),
        "failed_id": None,
    }


async def _recorded(db: Db, context: dict[str, Any], done: int) -> dict[str, Any]:
    """After 完成: what was recorded on that job, and the operator's next job (today, else the next day)."""
    finished = next((b for b in context["bookings"] if b.id == done and b.status in ("completed", "paid")), None)
    if finished is None:
        return {}
    upcoming = [b for b in context["bookings"] if b.status in ("scheduled", "in_progress")]
    if upcoming:
        return {"finished": finished, "next_job": upcoming[0]}
    operator = context["operator"]
    later = None
    if operator is not None:
        later = await listings.next_scheduled_job(db, operator.id, context["day"])
    return {"finished": finished, "next_job": await booking_view(db, later) if later else None}
