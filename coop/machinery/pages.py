"""Machinery pages (zh-CN, phone-first, readable without JavaScript).

Farmers: /machinery/book → /machinery/quote → booked; /machinery/my. Operators: /machinery/today.
Dispatcher: /machinery/board. Accountant: /machinery/dashboard, /machinery/fleet.

Every posted form is parsed into a bounded struct (coop/machinery/forms.py); any refusal shows the same page
again with the message at the field and the input kept (caoyuan.web.forms.refused_form), never a 500.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from caoyuan import clock
from caoyuan.auth import Role
from caoyuan.auth.current import CurrentUser, requires
from caoyuan.bounds import IdParam, check_day
from caoyuan.deps import AppSettings, Db
from caoyuan.errors import AppError, BadInput, Forbidden
from caoyuan.payments.client import gateway_for
from caoyuan.web.forms import parse_form, refused_form
from coop.machinery.forms import (
    BackForm,
    BookingForm,
    CancelForm,
    PayForm,
    RateForm,
    ScheduleForm,
    back_to,
)
from coop.machinery.models import Booking
from coop.machinery.services import alipay, listings, payment, rating, schedule, work
from coop.machinery.services import booking as booking_service
from coop.machinery.services.common import (
    booking_for,
    caller_for,
    check_window,
    ensure_can_read,
    member_of_user,
    policy_for,
)
from coop.machinery.services.quote_desk import acting_cooperative, quote_for
from coop.machinery.views import booking_view, booking_views, mu_text

PLOT_ROWS = 3
BOARD_ORDER = ("scheduled", "in_progress", "completed", "paid")
Form = URLEncodedBody[dict[str, str]]


def _back(form: dict[str, str], default: str) -> Redirect:
    return Redirect(back_to(form.get("back", ""), default), status_code=303)


class MachineryPages(Controller):
    path = "/machinery"
    include_in_schema = False

    @get("/", guards=[requires()])
    async def index(self, request: Request) -> Redirect:
        role = request.user.role
        place = {"member": "/machinery/my", "operator": "/machinery/today"}.get(role, "/machinery/board")
        return Redirect(place, status_code=303)

    # ------------------------------------------------------------------ farmers and agents

    @get("/book", guards=[requires(Role.MEMBER, Role.ADMIN, Role.OPERATOR)])
    async def book_form(self, request: Request, db: Db) -> Template:
        context = await _book_context(db, request.user)
        if not context["agent"] and await member_of_user(db, request.user.id) is None:
            raise Forbidden("您的账户还没有关联社员档案，请联系合作社会计代为预约")
        today = clock.today()
        context["form"] = {"earliest_on": str(today + timedelta(1)), "latest_on": str(today + timedelta(10))}
        return Template("machinery/book.html", context=context)

    @get("/quote", guards=[requires(Role.MEMBER, Role.ADMIN, Role.OPERATOR)])
    async def quote_page(self, request: Request, db: Db) -> Template:
        form = {k: v for k, v in request.query_params.items()}
        try:
            data = parse_form(form, BookingForm).booking()
            check_window(data.earliest_on, data.latest_on, clock.today())  # refused now, not after 确认预约
            flat = sum(_mu(p.area, n) for n, p in enumerate(data.plots) if not p.slope)
            slope = sum(_mu(p.area, n) for n, p in enumerate(data.plots) if p.slope)
            q = await quote_for(
                db,
                request.user,
                data.service_type_id,
                mu_text(flat),
                mu_text(slope),
                data.member_id,
                data.earliest_on,
                None,
            )
        except AppError as exc:
            return await refused_form(
                db, _plot_field(exc), "machinery/book.html", form, lambda: _book_context(db, request.user)
            )
        context = await _book_context(db, request.user)
        days = [d for d in q.earliest if data.earliest_on <= d <= data.latest_on]
        return Template("machinery/quote.html", context={**context, "form": form, "q": q, "days": days})

    @post("/book", guards=[requires(Role.MEMBER, Role.ADMIN, Role.OPERATOR)])
    async def book(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        try:
            wanted = parse_form(data, BookingForm).booking()
            booking = (await booking_service.request_booking(db, request.user, wanted)).booking
        except AppError as exc:
            return await refused_form(
                db, _plot_field(exc), "machinery/book.html", data, lambda: _book_context(db, request.user)
            )
        return Redirect(f"/machinery/bookings/{booking.id}?new=1", status_code=303)

    @get("/my", guards=[requires(Role.MEMBER)])
    async def my_bookings(self, request: Request, db: Db) -> Template:
        member = await member_of_user(db, request.user.id)
        rows = [] if member is None else await listings.member_bookings(db, member.id)
        return Template("machinery/my.html", context={"member": member, "bookings": await booking_views(db, rows)})

    @get("/bookings/{booking_id:int}", guards=[requires()])
    async def booking_page(
        self,
        request: Request,
        db: Db,
        booking_id: IdParam,
        new: FromQuery[bool] = False,
        out_trade_no: FromQuery[str] = "",
    ) -> Template:
        booking = await booking_for(db, booking_id)
        await ensure_can_read(db, request.user, booking)
        if booking.status == "completed" and alipay.booking_id_of(out_trade_no) == booking_id:
            await db.commit()  # back from Alipay's cashier: settle now, so the farmer sees 已付款 at once
            await alipay.settle_from_query(gateway_for(request.app), db, out_trade_no)
        return Template(
            "machinery/booking.html", context={**await _booking_context(db, request, booking_id), "new": new}
        )

    async def _on_booking(
        self, request: Request, db: Db, booking_id: int, data: dict[str, str], action
    ) -> Template | Redirect:  # type: ignore[no-untyped-def]
        """Run a booking page's action; a refusal shows the booking page again with the message."""
        try:
            await action()
        except AppError as exc:
            return await refused_form(
                db, exc, "machinery/booking.html", data, lambda: _booking_context(db, request, booking_id)
            )
        return _back(data, f"/machinery/bookings/{booking_id}")

    @post("/bookings/{booking_id:int}/cancel", guards=[requires()])
    async def cancel(self, request: Request, db: Db, booking_id: IdParam, data: Form) -> Template | Redirect:
        async def action() -> None:
            form = parse_form(data, CancelForm)
            booking = await booking_for(db, booking_id, lock=True)
            caller = await ensure_can_read(db, request.user, booking)
            if caller.operator is not None and not caller.agent:
                raise Forbidden("农机手不能取消预约，请联系调度员")
            await schedule.cancel(db, booking, by="collective" if caller.agent else "farmer", reason=form.reason)

        return await self._on_booking(request, db, booking_id, data, action)

    @post("/bookings/{booking_id:int}/confirm", guards=[requires()])
    async def confirm(self, request: Request, db: Db, booking_id: IdParam, data: Form) -> Template | Redirect:
        async def action() -> None:
            parse_form(data, BackForm)
            booking = await booking_for(db, booking_id, lock=True)
            await work.confirm_area(db, await ensure_can_read(db, request.user, booking), booking)

        return await self._on_booking(request, db, booking_id, data, action)

    @post("/bookings/{booking_id:int}/rate", guards=[requires()])
    async def rate(self, request: Request, db: Db, booking_id: IdParam, data: Form) -> Template | Redirect:
        async def action() -> None:
            booking = await booking_for(db, booking_id)
            caller = await ensure_can_read(db, request.user, booking)
            form = parse_form(data, RateForm)
            await rating.rate(db, caller, booking, form.score, form.comment)

        return await self._on_booking(request, db, booking_id, data, action)

    @post("/bookings/{booking_id:int}/pay", guards=[requires(Role.ADMIN)])
    async def pay(self, request: Request, db: Db, booking_id: IdParam, data: Form) -> Template | Redirect:
        async def action() -> None:
            form = parse_form(data, PayForm)
            booking = await booking_for(db, booking_id, lock=True)
            await ensure_can_read(db, request.user, booking)  # the admin's own cooperative only
            await payment.record_payment(db, booking, form.channel)

        return await self._on_booking(request, db, booking_id, data, action)

    @post("/bookings/{booking_id:int}/schedule", guards=[requires(Role.ADMIN)])
    async def move(self, request: Request, db: Db, booking_id: IdParam, data: Form) -> Template | Redirect:
        async def action() -> None:
            form = parse_form(data, ScheduleForm)
            booking = await booking_for(db, booking_id, lock=True)
            await ensure_can_read(db, request.user, booking)  # the admin's own cooperative only
            await schedule.assign(db, booking, day=form.day, operator_id=form.operator_id, machine_id=form.machine_id)

        return await self._on_booking(request, db, booking_id, data, action)

    @get("/bookings/{booking_id:int}/alipay", guards=[requires()])
    async def alipay_page(
        self, request: Request, db: Db, settings: AppSettings, booking_id: IdParam, method: FromQuery[str | None] = None
    ) -> Template | Redirect:
        """Phone: straight to Alipay's cashier. Computer: a QR code to scan with the Alipay app."""
        booking = await booking_for(db, booking_id)
        alipay.ensure_may_pay(await ensure_can_read(db, request.user, booking), booking)
        page = f"/machinery/bookings/{booking_id}"
        if booking.status == "paid":
            return Redirect(page, status_code=303)
        gateway = gateway_for(request.app)
        if (method or ("wap" if _is_phone(request) else "qr")) == "wap":
            return Redirect(await alipay.start_wap(gateway, booking, settings.public_base_url + page), status_code=303)
        trade, code, svg = await alipay.start_qr(gateway, booking)
        return Template(
            "machinery/pay_qr.html",
            context={
                "b": await booking_view(db, booking),
                "qr_svg": svg,
                "qr_code": code,
                "done_url": f"{page}?out_trade_no={trade}",
                "wap_url": f"{page}/alipay?method=wap",
            },
        )

    # ------------------------------------------------------------------ operators


def _day(day: date | None) -> date:
    return check_day(day, "day") or clock.today()


async def _book_context(db: Db, user: CurrentUser) -> dict[str, Any]:
    coop_id = await acting_cooperative(db, user, None)
    caller = await caller_for(db, user, coop_id)
    services = await listings.active_services(db, coop_id)
    members = await listings.admitted_members(db, coop_id) if caller.agent else []
    policy = await policy_for(db, coop_id)
    return {
        "services": services,
        "members": members,
        "agent": caller.agent,
        "today": clock.today(),
        "max_mu": policy.max_area // 100,
        "rows": range(PLOT_ROWS),
        "form": {},
    }


async def _booking_context(db: Db, request: Request, booking_id: int) -> dict[str, Any]:
    booking = await booking_for(db, booking_id)
    caller = await ensure_can_read(db, request.user, booking)
    own = caller.member is not None and caller.member.id == booking.member_id
    context = {
        "b": await booking_view(db, booking),
        "caller": caller,
        "new": False,
        "own": own,
        "can_alipay": _alipay_payable(booking) and (own or request.user.role == Role.ADMIN),
    }
    context["calls"] = await _calls(db, caller, booking, own)
    if caller.agent:
        context.update(await _crew_choices(db, booking.cooperative_id))
    return context


CALLABLE = ("scheduled", "in_progress", "completed")  # while the job is on, farmer and operator can talk


async def _calls(db: Db, caller, booking: Booking, own: bool) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Whom this reader may phone about this job, with the whole number: the farmer calls the assigned
    operator, the operator calls the farmer, the admin either. Everywhere else numbers stay masked."""
    if booking.status not in CALLABLE or booking.operator_id is None:
        return []
    admin = caller.user.role == Role.ADMIN
    calls = []
    if own or admin:
        operator, phone = await listings.operator_with_phone(db, booking.operator_id)
        if operator is not None and phone:
            calls.append((f"给农机手 {operator.name} 打电话", phone))
    assigned = caller.operator is not None and caller.operator.id == booking.operator_id
    if (assigned or admin) and booking.farmer_phone:
        calls.append((f"给农户 {booking.farmer_name} 打电话", booking.farmer_phone))
    return calls


def _plot_field(exc: AppError) -> AppError:
    """The booking service names plot fields "area"/"village"; the form's first plot inputs are area0/village0."""
    if exc.field in ("area", "village", "plots"):
        exc.field = {"plots": "area0"}.get(exc.field, f"{exc.field}0")
    return exc


def _is_phone(request: Request) -> bool:
    agent = request.headers.get("user-agent", "")
    return any(word in agent for word in ("Mobile", "Android", "iPhone"))


def _alipay_payable(booking: Booking) -> bool:
    try:
        alipay.ensure_payable(booking)
    except AppError:
        return False
    return True


def _mu(text: str, n: int) -> int:
    from caoyuan.area import AreaError, parse_mu

    try:
        return parse_mu(text)
    except AreaError as exc:
        raise BadInput(str(exc), field=f"area{n}") from None


async def _crew_choices(db: Db, cooperative_id: int) -> dict:
    machines, operators = await listings.active_crew(db, cooperative_id)
    return {"machines": machines, "operators": operators}
