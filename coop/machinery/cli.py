"""`caoyuan machinery …`: the day's scheduling proposal, printed and (with --confirm) confirmed."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from caoyuan.settings import Settings


@click.group(help="农机预约：排班建议与确认；管理员归属合作社")
def machinery() -> None:
    pass


@machinery.command("schedule", help="Print the automatic proposal for a day; --confirm books it.")
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--cooperative", "cooperative_id", type=int, default=None, help="cooperative id (default: the fleet's)")
@click.option("--confirm", is_flag=True, help="confirm the proposal (claims capacity in the database)")
def schedule_command(day, cooperative_id: int | None, confirm: bool) -> None:  # type: ignore[no-untyped-def]
    from caoyuan.cli import _settings

    settings = _settings()
    try:
        lines = asyncio.run(_schedule(settings, day.date(), cooperative_id, confirm))
    except Exception as exc:  # AppError and database errors become a message, not a traceback
        from caoyuan.errors import AppError

        if isinstance(exc, AppError):
            raise click.ClickException(exc.message) from None
        raise
    for line in lines:
        click.echo(line)


async def _schedule(settings: Settings, day: date, cooperative_id: int | None, confirm: bool) -> list[str]:
    from caoyuan.area import format_mu
    from caoyuan.cli import open_database
    from coop.machinery.models import Booking, Machine, Operator
    from coop.machinery.services import schedule
    from coop.machinery.services.common import default_cooperative_id

    async with open_database(settings, 2) as database, database.session() as db:
        coop_id = cooperative_id or await default_cooperative_id(db)
        slots, unplaced = await schedule.proposal(db, coop_id, day)
        lines = [f"{day} 排班建议：{len(slots)} 单，{len(unplaced)} 单当天排不下"]
        for s in slots:
            b, op, m = (
                await db.get(Booking, s.request_id),
                await db.get(Operator, s.operator_id),
                await db.get(Machine, s.machine_id),
            )
            lines.append(
                f"  #{s.request_id} {b.farmer_name}（{'困难户 ' if b.hardship else ''}"  # type: ignore[union-attr]
                f"{'坡地 ' if b.slope_area else ''}{format_mu(b.flat_area + b.slope_area)}）"  # type: ignore[union-attr]
                f" → {op.name} / {m.plate}，占用 {format_mu(s.load)}"
            )  # type: ignore[union-attr]
        if confirm:
            done = await schedule.confirm_proposal(db, coop_id, day)
            lines.append(f"已确认 {len(done)} 单。")
        else:
            lines.append("（加 --confirm 确认排班）")
        return lines


@machinery.command(
    "manager", help="Tie an admin login to the cooperative whose fleet it keeps (set-up acts there only)."
)
@click.option("--phone", required=True, help="the admin's phone number (login)")
@click.option(
    "--cooperative", "cooperative_id", required=True, type=click.IntRange(1, 2**31 - 1), help="cooperative id"
)
def manager_command(phone: str, cooperative_id: int) -> None:
    from caoyuan.cli import _settings
    from caoyuan.errors import AppError

    try:
        click.echo(asyncio.run(_bind(_settings(), phone, cooperative_id)))
    except AppError as exc:
        raise click.ClickException(exc.message) from None


async def _bind(settings: Settings, phone: str, cooperative_id: int) -> str:
    from caoyuan.cli import open_database
    from coop.machinery.services.setup import bind_manager

    async with open_database(settings) as database, database.session() as db:
        await bind_manager(db, phone, cooperative_id)
    return f"{phone} 今后只管理合作社 #{cooperative_id} 的农机服务。"
