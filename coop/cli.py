"""`caoyuan coop …`: member lists in and out, and the yearly distribution, with progress bars."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console()


def _open():  # type: ignore[no-untyped-def]
    """The kernel's command database: checked settings, refused unless migrated, always closed."""
    from caoyuan.cli import _settings, open_database

    return open_database(_settings(), 2)


def _run(coro):  # type: ignore[no-untyped-def]
    from caoyuan.errors import AppError

    try:
        return asyncio.run(coro)
    except AppError as exc:
        raise click.ClickException(exc.message) from None


async def _cooperative_id(session, given: int | None) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from coop.models import Cooperative

    coops = (await session.execute(select(Cooperative.id, Cooperative.name).order_by(Cooperative.id))).all()
    if given is not None:
        if given not in {c for c, _ in coops}:
            raise click.ClickException(f"没有编号为 {given} 的合作社")
        return given
    if len(coops) == 1:
        return coops[0][0]
    listing = "；".join(f"{c} {n}" for c, n in coops) or "（还没有合作社）"
    raise click.ClickException(f"请用 --cooperative 指定合作社编号：{listing}")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )


@click.group(help="合作社：社员名册导入导出、年度盈余分配。")
def coop() -> None:
    pass


@coop.command("import-members", help="从 CSV 或 XLSX 导入社员：好的行导入，有问题的行列出原因。")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--cooperative", "cooperative_id", type=int, default=None, help="合作社编号（只有一个时可省略）")
def import_members_cmd(file: Path, cooperative_id: int | None) -> None:
    from coop.services.member_io import import_members, read_table

    content = file.read_bytes()

    async def run():  # type: ignore[no-untyped-def]
        async with _open() as database, database.session() as s:
            cid = await _cooperative_id(s, cooperative_id)
            rows = read_table(content, file.name)
            with _progress() as progress:
                task = progress.add_task("检查并导入社员", total=max(len(rows) - 1, 0))
                return await import_members(s, cid, rows, on_row=lambda: progress.advance(task))

    report = _run(run())
    console.print(f"已导入 [bold]{len(report.imported)}[/bold] 户。")
    if report.errors:
        table = Table(title=f"{len(report.errors)} 行没有导入")
        table.add_column("行号")
        table.add_column("原因")
        for line, reason in report.errors:
            table.add_row(str(line), reason)
        console.print(table)


@coop.command("export-members", help="把社员名册导出为 XLSX（身份证号默认遮盖）。")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--cooperative", "cooperative_id", type=int, default=None, help="合作社编号（只有一个时可省略）")
@click.option("--with-id-numbers", is_flag=True, help="写入完整身份证号（仅供会计存档，注意保管）")
def export_members_cmd(file: Path, cooperative_id: int | None, with_id_numbers: bool) -> None:
    from coop.services.member_io import export_members

    async def run() -> bytes:
        async with _open() as database, database.session() as s:
            with _progress() as progress:
                task = progress.add_task("导出社员名册", total=1)
                body = await export_members(
                    s, await _cooperative_id(s, cooperative_id), with_id_numbers=with_id_numbers
                )
                progress.advance(task)
                return body

    file.write_bytes(_run(run()))
    console.print(f"已写入 {file}")


@coop.command("distribute", help="计算（或重新计算）某年度的盈余分配草案；--post 把已经成员大会通过的方案入账。")
@click.option("--year", type=int, required=True)
@click.option("--cooperative", "cooperative_id", type=int, default=None, help="合作社编号（只有一个时可省略）")
@click.option("--post", "post_it", is_flag=True, help="入账已通过的方案（写凭证并记入成员账户）")
def distribute_cmd(year: int, cooperative_id: int | None, post_it: bool) -> None:
    _run(_distribute(year, cooperative_id, post_it))


async def _distribute(year: int, cooperative_id: int | None, post_it: bool) -> None:
    from sqlalchemy import select

    from coop.models import Distribution, DistributionState
    from coop.services.distribution import compute_draft, post_distribution
    from coop.services.statements import steps_of

    with _progress() as progress:
        task = progress.add_task(f"{year} 年盈余分配", total=3)
        async with _open() as database, database.session() as s:
            cid = await _cooperative_id(s, cooperative_id)
            approved = await s.scalar(
                select(Distribution).where(
                    Distribution.cooperative_id == cid,
                    Distribution.year == year,
                    Distribution.state == DistributionState.APPROVED,
                )
            )
            progress.advance(task)
            if post_it:
                if approved is None:
                    raise click.ClickException(
                        f"{year} 年没有经成员大会通过、待入账的方案；请先计算草案，并在分配页面记录成员大会表决结果"
                    )
                dist = await post_distribution(s, approved.id)  # type: ignore[arg-type]
            else:
                dist = await compute_draft(s, cid, year)
            progress.advance(task)
            steps = await steps_of(s, dist.id)  # type: ignore[arg-type]
        progress.advance(task)
    table = Table(title=f"{year} 年盈余分配 #{dist.id}（{'已入账' if post_it else '草案'}，{dist.members_count} 户）")
    table.add_column("步骤")
    table.add_column("金额", justify="right")
    table.add_column("说明")
    from caoyuan.money import format_fen

    for step in steps:
        table.add_row(step.label, format_fen(step.amount_fen), step.explanation)
    console.print(table)


@coop.command(
    "adopt-chart",
    help="新旧科目衔接：把记在另一套科目表上的余额，按日期一次转入本社所属类型的科目表（股份经济合作社用财会〔2023〕14号）。",
)
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), required=True, help="衔接日期，如 2024-12-31")
@click.option("--cooperative", "cooperative_id", type=int, default=None, help="合作社编号（只有一个时可省略）")
def adopt_chart_cmd(on, cooperative_id: int | None) -> None:  # type: ignore[no-untyped-def]
    _run(_adopt_chart(on.date(), cooperative_id))


async def _adopt_chart(on, cooperative_id: int | None) -> None:  # type: ignore[no-untyped-def]
    from coop.services.chart_switch import adopt_own_chart

    async with _open() as database, database.session() as s:
        entry = await adopt_own_chart(s, await _cooperative_id(s, cooperative_id), on)
    console.print(f"已写衔接凭证 #{entry.id}" if entry else "没有记在其他科目表上的余额，无需衔接")


@coop.command("grant", help="Let an admin login work in a cooperative (an admin with grants sees only those).")
@click.option("--phone", required=True, help="the admin's phone number (login)")
@click.option(
    "--cooperative", "cooperative_id", required=True, type=click.IntRange(1, 2**31 - 1), help="cooperative id"
)
def grant_command(phone: str, cooperative_id: int) -> None:
    from coop.access import grant

    async def run() -> None:
        async with _open() as database, database.session() as db:
            await grant(db, phone, cooperative_id)

    _run(run())
    console.print(f"{phone} 今后可以在合作社 #{cooperative_id} 工作（只看被授权的合作社）。")
