"""asyncpg skips its SSL attempt only on loopback URLs that ask for no SSL; any request for SSL is honoured."""

from __future__ import annotations

import pytest

from caoyuan.db.engine import plain_loopback_args


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://postgres@127.0.0.1:5432/shop",
        "postgresql+asyncpg://postgres@localhost/shop",
        "postgresql+asyncpg://postgres@[::1]:5432/shop",
        "postgresql+asyncpg:///shop?host=/run/postgresql",
    ],
)
def test_a_plain_loopback_url_connects_without_ssl(url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PGSSLMODE", raising=False)
    assert plain_loopback_args(url) == {"ssl": False}


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://postgres@127.0.0.1:5432/shop?ssl=require",
        "postgresql+asyncpg://postgres@localhost:6432/shop?sslmode=verify-full",
        "postgresql+asyncpg://shop@db.example.com:5432/shop",
        "postgresql+asyncpg://shop@10.0.0.5/shop",
    ],
)
def test_a_url_asking_for_ssl_or_a_remote_host_keeps_asyncpgs_default(url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PGSSLMODE", raising=False)
    assert plain_loopback_args(url) == {}


def test_pgsslmode_in_the_environment_keeps_asyncpgs_default(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PGSSLMODE", "require")
    assert plain_loopback_args("postgresql+asyncpg://postgres@127.0.0.1/shop") == {}
