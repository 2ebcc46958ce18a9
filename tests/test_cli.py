"""The command line as an operator uses it: settings checks, migrations, users, the demo seed."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from caoyuan.cli import main
from caoyuan.settings import SettingsError, load_settings
from tests.cli import caoyuan


def test_bad_setting_is_named() -> None:
    with pytest.raises(SettingsError, match="CAOYUAN_DATABASE_URL"):
        load_settings(database_url="mysql://x")
    with pytest.raises(SettingsError, match="CAOYUAN_PORT"):
        load_settings(port=0)
    with pytest.raises(SettingsError, match="CAOYUAN_SECRET_KEY"):
        load_settings(environment="production", secret_key="")


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = caoyuan("serve", env={"CAOYUAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"})
    assert result.returncode != 0
    assert "caoyuan db upgrade" in result.stderr


def test_bad_env_stops_the_cli_with_the_name(tmp_path: Path) -> None:
    result = caoyuan("serve", env={"CAOYUAN_PUBLIC_BASE_URL": "ftp://nope"})
    assert result.returncode != 0 and "CAOYUAN_PUBLIC_BASE_URL" in result.stderr


def test_db_upgrade_then_user_create(tmp_path: Path) -> None:
    env = {"CAOYUAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'ops.db'}"}
    assert caoyuan("db", "current", env=env).returncode == 1  # behind
    up = caoyuan("db", "upgrade", env=env)
    assert up.returncode == 0, up.stderr
    assert caoyuan("db", "current", env=env).returncode == 0
    made = caoyuan(
        "user",
        "create",
        "--phone",
        "13812345678",
        "--role",
        "admin",
        "--name",
        "会计",
        "--password",
        "s3cret-pass",
        env=env,
    )
    assert made.returncode == 0, made.stderr
    assert "13812345678" in made.stdout
    again = caoyuan("user", "create", "--phone", "13812345678", "--role", "host", "--password", "s3cret-pass", env=env)
    assert again.returncode != 0 and "已注册" in again.stderr
    bad = caoyuan("user", "create", "--phone", "123", "--role", "host", "--password", "s3cret-pass", env=env)
    assert bad.returncode != 0 and "手机号" in bad.stderr


def test_demo_seeds_one_login_per_role(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    result = caoyuan("demo", "--no-serve", "--database", str(path), env={"CAOYUAN_DATABASE_URL": "", "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    for role in ("admin", "host", "member", "operator", "buyer"):
        assert role in result.stdout
    assert "caoyuan2026" in result.stdout
    assert path.exists()


def test_help_lists_domain_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "db", "user", "demo"):
        assert command in result.output
