"""`caoyuan` command line: serve, db, user, demo — plus each installed domain's own group."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import click

from caoyuan.settings import SettingsError, load_settings

if TYPE_CHECKING:
    from caoyuan.db import Database


def _settings(**overrides: object):  # type: ignore[no-untyped-def]
    """Settings, with the payment settings checked too, so a bad variable stops us with its name."""
    from caoyuan.payments import get_payment_config

    try:
        settings = load_settings(**overrides)
        get_payment_config(settings)
        return settings
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(help="草原 Caoyuan — 村集体合作社的入股分红、农机预约与草原村播")
def main() -> None:
    pass


@main.command(help="Serve the app (refuses an unmigrated database).")
@click.option("--host", default=None, help="default: CAOYUAN_HOST or 127.0.0.1")
@click.option("--port", type=int, default=None, help="default: CAOYUAN_PORT or 8000")
@click.option("--workers", type=int, default=1, show_default=True)
@click.option("--reload", is_flag=True, help="restart on code changes (development)")
def serve(host: str | None, port: int | None, workers: int, reload: bool) -> None:
    settings = _settings()
    _refuse_unmigrated(settings)
    _share_secret_key(settings, workers, reload)
    _run_server(host or settings.host, port or settings.port, workers, reload)


def _share_secret_key(settings, workers: int, reload: bool) -> None:  # type: ignore[no-untyped-def]
    """Give every worker process the same key: each would otherwise make its own random one, and a
    cookie or order link signed by one worker would fail on the next. Workers inherit the environment."""
    import os

    if (workers > 1 or reload) and not os.environ.get("CAOYUAN_SECRET_KEY"):
        os.environ["CAOYUAN_SECRET_KEY"] = settings.secret_key  # this start's throwaway key (never production)
        click.echo("CAOYUAN_SECRET_KEY 未设置：本次启动生成一个密钥，供所有 worker 共用（重启后登录失效）。", err=True)


@asynccontextmanager
async def open_database(settings, pool_size: int = 1, *, migrated: bool = True) -> AsyncIterator[Database]:  # type: ignore[no-untyped-def]
    """The one way a command opens the database: refused (in words) unless migrated, always closed."""
    from caoyuan.app import NotMigrated, ensure_migrated
    from caoyuan.db import create_database

    database = create_database(settings.database_url, pool_size)
    try:
        if migrated:
            try:
                await ensure_migrated(database)
            except NotMigrated as exc:
                raise click.ClickException(str(exc)) from None
            except OSError as exc:
                raise click.ClickException(f"无法连接数据库（CAOYUAN_DATABASE_URL）：{exc}") from None
        yield database
    finally:
        await database.dispose()


def _refuse_unmigrated(settings) -> None:  # type: ignore[no-untyped-def]
    async def check() -> None:
        async with open_database(settings):
            pass

    asyncio.run(check())


def _run_server(host: str, port: int, workers: int, reload: bool) -> None:
    import uvicorn

    uvicorn.run(
        "caoyuan.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        access_log=False,
        log_level="warning",
        ws="websockets-sansio",
    )


@main.group(help="Database migrations.")
def db() -> None:
    pass


@db.command("upgrade", help="Migrate the database to the newest schema.")
@click.option("--revision", default="heads", show_default=True)
def db_upgrade(revision: str) -> None:
    from caoyuan.db.migrate import left_out, upgrade

    settings = _settings()
    _ensure_sqlite_dir(settings)
    upgrade(settings.database_url, revision, skip=left_out(settings))  # no sandbox tables unless it runs
    click.echo(f"数据库已迁移到 {revision}")


@db.command("current", help="Show the database's revision and the newest one.")
def db_current() -> None:
    from caoyuan.db.migrate import is_at_head

    settings = _settings()

    async def show():  # type: ignore[no-untyped-def]
        async with open_database(settings, migrated=False) as database:
            return await is_at_head(database.engine)

    ready, current, heads = asyncio.run(show())
    click.echo(f"current: {', '.join(sorted(current)) or '(empty)'}\nheads:   {', '.join(sorted(heads))}")
    sys.exit(0 if ready else 1)


@db.command("revision", help="Autogenerate a migration for one part from its models (developers).")
@click.option("-m", "--message", required=True)
@click.option("--part", required=True, help="kernel, or a domain name such as coop")
@click.option("--depends-on", multiple=True, help="another part whose newest revision this one needs")
def db_revision(message: str, part: str, depends_on: tuple[str, ...]) -> None:
    from caoyuan.db.migrate import revision

    settings = _settings()
    _ensure_sqlite_dir(settings)
    from alembic.util.exc import CommandError

    try:
        revision(settings.database_url, part, message, depends_on)
    except (CommandError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


@db.command(
    "backup",
    help="Back the database up into FILE (pg_dump -Fc, or SQLite's online backup), "
    "with FILE.manifest.json beside it. Safe while the app runs.",
)
@click.argument("file", type=click.Path(dir_okay=False))
def db_backup(file: str) -> None:
    from pathlib import Path

    from caoyuan.db.backup import BackupError, backup_database, manifest_path

    settings = _settings()
    try:
        manifest = backup_database(settings.database_url, Path(file), say=click.echo)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"无法连接数据库或写入备份文件：{exc}") from None
    target = Path(file).resolve()
    click.echo(
        f"已备份到 {target}，共 {len(manifest.tables)} 张表、{manifest.rows} 行"
        f"（清单 {manifest_path(target).name}，请一起保存）"
    )


@db.command(
    "restore",
    help="Restore FILE (made by `caoyuan db backup`) into the database, which must be "
    "empty unless --force; then check every table's rows against the backup's manifest.",
)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", "--clean", "force", is_flag=True, help="replace the contents of a database that is not empty")
def db_restore(file: str, force: bool) -> None:
    from pathlib import Path

    from caoyuan.db.backup import BackupError, restore_database

    settings = _settings()
    try:
        report = restore_database(settings.database_url, Path(file), force=force, say=click.echo)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"无法连接数据库或读取备份文件：{exc}") from None
    _report_restore(file, report)


def _report_restore(file: str, report) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    rows = sum(report.tables.values())
    click.echo(f"已从 {Path(file).name} 恢复，共 {len(report.tables)} 张表、{rows} 行")
    if report.manifest is not None and report.ok:
        click.echo(f"核对通过：每张表的行数与备份清单（{report.manifest.created_at}）一致")
    state = report.schema.state
    if state == "current":
        click.echo("迁移版本与本程序一致，可以启动服务")
    elif state == "behind":
        click.echo("备份来自较旧的版本：启动服务前请运行 caoyuan db upgrade")
    else:
        click.echo("备份来自较新的版本：请部署与备份相同或更新的版本后再启动服务")
    if not report.ok:
        for problem in report.problems:
            click.echo(f"  ✗ {problem}", err=True)
        raise click.ClickException("恢复后的数据与备份清单不一致，请勿启动服务，检查上面列出的问题")


@main.group(help="Login accounts.")
def user() -> None:
    pass


@user.command("create", help="Create a login. The password is asked for unless --password is given.")
@click.option("--phone", required=True, help="11-digit mainland mobile number")
@click.option("--role", required=True, type=click.Choice(["admin", "host", "member", "operator", "buyer"]))
@click.option("--name", "display_name", default="", help="display name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def user_create(phone: str, role: str, display_name: str, password: str) -> None:
    from caoyuan.auth.service import create_user
    from caoyuan.errors import AppError

    settings = _settings()

    async def create() -> int:
        async with open_database(settings) as database, database.session() as session:
            account = await create_user(session, phone=phone, password=password, role=role, display_name=display_name)
            return account.id  # type: ignore[return-value]

    try:
        user_id = asyncio.run(create())
    except AppError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"已创建用户 #{user_id}：{phone}（{role}）")


@main.command(help="Print a one-time link that makes the install's first admin login (then: found the cooperative).")
@click.option("--hours", type=click.IntRange(1, 7 * 24), default=24, show_default=True, help="the link expires after")
def setup(hours: int) -> None:
    from caoyuan.auth.setup_link import issue
    from caoyuan.db import create_database
    from caoyuan.errors import AppError

    settings = _settings()
    _refuse_unmigrated(settings)

    async def make() -> str:
        database = create_database(settings.database_url, 1)
        try:
            async with database.session() as session:
                return (await issue(session, hours))[0]
        finally:
            await database.dispose()

    try:
        token = asyncio.run(make())
    except AppError as exc:
        raise click.ClickException(exc.message) from None
    click.echo("在村办公室的电脑浏览器里打开下面的链接，建立第一个管理员账号（只能用一次）：")
    click.echo(f"  {settings.public_base_url.rstrip('/')}/setup/{token}")
    click.echo(f"链接 {hours} 小时内有效。")


@main.command(help="Migrate and seed an embedded demo database, then serve it on 127.0.0.1:8000.")
@click.option("--database", default="./var/demo.db", show_default=True, help="SQLite file for the demo")
@click.option("--reset/--keep", default=True, show_default=True, help="start from a fresh demo database")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--no-serve", is_flag=True, help="seed only")
def demo(database: str, reset: bool, port: int, no_serve: bool) -> None:
    import os

    from caoyuan.demo import prepare_demo

    url = os.environ.get("CAOYUAN_DATABASE_URL") or f"sqlite+aiosqlite:///{database}"
    os.environ["CAOYUAN_DATABASE_URL"] = url
    os.environ.setdefault("CAOYUAN_PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    settings = _settings()
    prepare_demo(settings, reset=reset)
    if not no_serve:
        click.echo(f"\n演示站点：http://127.0.0.1:{port}/    （Ctrl+C 停止）\n")
        _run_server("127.0.0.1", port, 1, False)


def _ensure_sqlite_dir(settings) -> None:  # type: ignore[no-untyped-def]
    if settings.sqlite_path is not None:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)


def _add_domain_commands() -> None:
    from caoyuan.domains import installed_domains

    for domain in installed_domains():
        group = domain.cli()
        if group is not None:
            main.add_command(group)


_add_domain_commands()
