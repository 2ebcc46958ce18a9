"""Production never runs the pretend Alipay cashier by accident (issue 9, item 1)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import rsa
from litestar.testing import AsyncTestClient

from caoyuan import cli
from caoyuan.app import create_app
from caoyuan.db import create_database
from caoyuan.payments.keys import private_pem_pkcs1, public_pem
from caoyuan.settings import Settings, SettingsError, load_settings

KEY = "k" * 40


def _production(**overrides: object) -> Settings:
    return load_settings(
        environment="production", secret_key=KEY, public_base_url="https://coop.example.cn", **overrides
    )


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_production_with_the_default_sandbox_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAOYUAN_PAYMENTS", raising=False)
    monkeypatch.delenv("CAOYUAN_ALLOW_SANDBOX_PAYMENTS", raising=False)
    with pytest.raises(SettingsError, match="CAOYUAN_ALLOW_SANDBOX_PAYMENTS"):
        _production()
    # Settings made without load_settings are still checked by the app factory.
    direct = Settings(environment="production", secret_key=KEY, payments="sandbox")
    with pytest.raises(SettingsError, match="CAOYUAN_PAYMENTS"):
        create_app(direct, database=create_database("sqlite+aiosqlite:///:memory:"))
    # Development keeps the sandbox as its default.
    assert load_settings(environment="development").payments == "sandbox"


def test_the_opt_in_starts_and_warns_loudly(tmp_path: Path) -> None:
    settings = _production(
        payments="sandbox", allow_sandbox_payments=True, database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    )
    collected = _Collect()
    logger = logging.getLogger("caoyuan.settings")
    app = None
    try:
        logger.addHandler(collected)
        app = create_app(settings, database=create_database(settings.database_url))
    finally:
        logger.removeHandler(collected)
    assert app is not None
    assert any(r.levelno == logging.WARNING and "SANDBOX" in r.getMessage() for r in collected.records)
    assert any(str(getattr(route, "path", "")).startswith("/sandbox/alipay") for route in app.routes)


def test_the_cli_refuses_production_with_the_sandbox(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAOYUAN_")}
    env.update(
        CAOYUAN_ENVIRONMENT="production",
        CAOYUAN_SECRET_KEY=KEY,
        CAOYUAN_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'prod.db'}",
    )
    result = subprocess.run(
        [sys.executable, "-m", "caoyuan", "serve"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode != 0
    assert "CAOYUAN_ALLOW_SANDBOX_PAYMENTS" in result.stderr


def test_the_cli_serves_with_the_opt_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("CAOYUAN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CAOYUAN_ENVIRONMENT", "production")
    monkeypatch.setenv("CAOYUAN_SECRET_KEY", KEY)
    monkeypatch.setenv("CAOYUAN_ALLOW_SANDBOX_PAYMENTS", "1")
    monkeypatch.setenv("CAOYUAN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'prod.db'}")
    monkeypatch.setenv("CAOYUAN_ALIPAY_SANDBOX_KEY_DIR", str(tmp_path / "keys"))
    served: list[tuple] = []
    monkeypatch.setattr(cli, "_refuse_unmigrated", lambda settings: None)
    monkeypatch.setattr(cli, "_run_server", lambda *args: served.append(args))
    result = CliRunner().invoke(cli.main, ["serve"])
    assert result.exit_code == 0, result.output
    assert len(served) == 1


@pytest.fixture
def alipay_env(monkeypatch: pytest.MonkeyPatch) -> None:
    app_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    alipay_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    monkeypatch.setenv("CAOYUAN_ALIPAY_APP_ID", "2021004100000001")
    monkeypatch.setenv("CAOYUAN_ALIPAY_SELLER_ID", "2088123412341234")
    monkeypatch.setenv("CAOYUAN_ALIPAY_APP_PRIVATE_KEY", private_pem_pkcs1(app_key))
    monkeypatch.setenv("CAOYUAN_ALIPAY_ALIPAY_PUBLIC_KEY", public_pem(alipay_key.public_key()))


async def test_with_real_alipay_no_sandbox_route_answers(alipay_env, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = _production(
        payments="alipay", database_url=database_url, background_tasks=False, media_dir=str(tmp_path / "media")
    )
    app = create_app(settings, database=create_database(database_url, 2))
    async with AsyncTestClient(app=app, base_url="https://coop.example.cn") as client:
        for method, path in (
            ("POST", "/sandbox/alipay/gateway.do"),
            ("GET", "/sandbox/alipay/pay/anything"),
            ("POST", "/sandbox/alipay/pay/anything"),
        ):
            answer = await client.request(method, path, data={"method": "alipay.trade.close"})
            assert answer.status_code in (403, 404), (method, path, answer.status_code)
            assert "alipay_trade_close_response" not in answer.text
        # The real notify route is still there (and refuses an unsigned form).
        assert (await client.post("/pay/alipay/notify", data={"out_trade_no": "CY1"})).status_code == 400
    assert not any(str(getattr(route, "path", "")).startswith("/sandbox") for route in app.routes)
