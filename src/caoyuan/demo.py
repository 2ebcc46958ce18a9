"""Demo: a fresh embedded database, migrated, seeded from the source reports, logins printed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.auth.models import UserAccount
from caoyuan.auth.service import create_user
from caoyuan.db.migrate import left_out, upgrade
from caoyuan.domains import installed_domains
from caoyuan.settings import Settings

DEMO_PASSWORD = "caoyuan2026"


@dataclass
class DemoContext:
    """Handed to each domain's seeder: the session, the settings, and the logins made so far."""

    session: AsyncSession
    settings: Settings
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)  # role, phone, name, note
    shared: dict[str, object] = field(default_factory=dict)  # ids one domain leaves for another

    async def login(self, *, phone: str, role: str, name: str, note: str = "") -> UserAccount:
        account = await create_user(self.session, phone=phone, password=DEMO_PASSWORD, role=role, display_name=name)
        self.logins.append((role, phone, name, note))
        return account


def prepare_demo(settings: Settings, reset: bool = True) -> list[tuple[str, str, str, str]]:
    path = settings.sqlite_path
    if reset and path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url, skip=left_out(settings))
    logins = asyncio.run(_seed(settings))
    _print_logins(logins)
    return logins


async def _seed(settings: Settings) -> list[tuple[str, str, str, str]]:
    from caoyuan.cli import open_database

    async with open_database(settings, 2, migrated=False) as database, database.session() as session:
        ctx = DemoContext(session, settings)
        if await _already_seeded(session):
            return []
        admin = await ctx.login(phone="13900000001", role="admin", name="王会计", note="八道岭村合作社会计")
        ctx.shared["admin_id"] = admin.id  # the accountant who makes the villages' logins (coop's people service)
        for domain in sorted(installed_domains(), key=lambda d: d.demo_order):
            if domain.seed_demo:
                await domain.seed_demo(ctx)
                await session.flush()
        return ctx.logins


async def _already_seeded(session: AsyncSession) -> bool:
    from sqlalchemy import func, select

    return bool(await session.scalar(select(func.count()).select_from(UserAccount)))


def _print_logins(logins: list[tuple[str, str, str, str]]) -> None:
    console = Console()
    if not logins:
        console.print("演示数据已存在（--keep），沿用原有账户。")
        return
    table = Table(title=f"演示账户（密码都是 {DEMO_PASSWORD}）")
    for column in ("角色", "手机号", "姓名", "说明"):
        table.add_column(column)
    for row in logins:
        table.add_row(*row)
    console.print(table)
