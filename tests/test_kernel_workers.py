"""Several workers share one secret key (issue 9, item 6)."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from caoyuan import cli
from caoyuan.settings import load_settings


def _serve(monkeypatch: pytest.MonkeyPatch, *args: str) -> list[str]:
    """Run `caoyuan serve ARGS` without a server; return the key each (pretend) worker would load."""
    monkeypatch.delenv("CAOYUAN_SECRET_KEY", raising=False)
    monkeypatch.setenv("CAOYUAN_ENVIRONMENT", "development")
    monkeypatch.setenv("CAOYUAN_PAYMENTS", "off")
    monkeypatch.setattr(cli, "_refuse_unmigrated", lambda settings: None)
    keys: list[str] = []

    def run_server(host: str, port: int, workers: int, reload: bool) -> None:
        # Each worker process builds its settings from the environment it inherits.
        keys.extend(load_settings().secret_key for _ in range(max(workers, 2)))

    monkeypatch.setattr(cli, "_run_server", run_server)
    result = CliRunner().invoke(cli.main, ["serve", *args])
    assert result.exit_code == 0, result.output
    return keys


def test_two_workers_without_a_key_share_one(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = _serve(monkeypatch, "--workers", "2")
    assert len(keys) == 2 and len(set(keys)) == 1 and len(keys[0]) >= 32
    assert os.environ["CAOYUAN_SECRET_KEY"] == keys[0]


def test_a_given_key_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAOYUAN_SECRET_KEY", "s" * 40)
    monkeypatch.setattr(cli, "_refuse_unmigrated", lambda settings: None)
    monkeypatch.setenv("CAOYUAN_PAYMENTS", "off")
    seen: list[str] = []
    monkeypatch.setattr(cli, "_run_server", lambda *args: seen.append(load_settings().secret_key))
    assert CliRunner().invoke(cli.main, ["serve", "--workers", "3"]).exit_code == 0
    assert seen == ["s" * 40]
