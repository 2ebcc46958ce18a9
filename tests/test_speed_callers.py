"""The bearer-token lookup is cached for a few seconds per process, and forgotten on logout at once."""

from __future__ import annotations

import inspect

from caoyuan.auth import current
from caoyuan.auth import service as auth_service


def _counting(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    looked_up: list[str] = []
    real = auth_service.user_for_token

    async def counted(db, token, kind):  # type: ignore[no-untyped-def]
        looked_up.append(kind)
        return await real(db, token, kind)

    monkeypatch.setattr(auth_service, "user_for_token", counted)
    return looked_up


class _Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def monotonic(self) -> float:
        return self.now


async def test_a_token_is_looked_up_once_per_ttl_and_logout_ends_it_at_once(
    client, make_user, login_api, monkeypatch
) -> None:
    clock = _Clock()
    monkeypatch.setattr(current, "time", clock)
    monkeypatch.setattr(current, "CALLERS", current._Callers())
    user = await make_user("admin")
    headers = await login_api(client, user.phone)
    looked_up = _counting(monkeypatch)
    for _ in range(3):
        assert (await client.get("/api/auth/me", headers=headers)).json()["phone"] == user.phone
    assert looked_up == ["api"]
    clock.now += current.CALLER_TTL_S
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
    assert looked_up == ["api", "api"]  # expired: asked the database again
    assert (await client.delete("/api/auth/token", headers=headers)).status_code == 204
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 401  # within the TTL, yet refused
    unknown = {"Authorization": "Bearer not-a-token"}
    for _ in range(2):
        assert (await client.get("/api/auth/me", headers=unknown)).status_code == 401
    assert looked_up.count("api") == 5  # unknown tokens are never cached


def test_guards_are_async_so_litestar_runs_them_on_the_loop() -> None:
    assert inspect.iscoroutinefunction(current.requires("admin"))


async def test_a_burst_with_a_new_token_reads_it_once(client, db, make_user, login_api, monkeypatch) -> None:
    import asyncio

    monkeypatch.setattr(current, "CALLERS", current._Callers())
    user = await make_user("admin")
    token = (await login_api(client, user.phone))["Authorization"].removeprefix("Bearer ")
    looked_up = _counting(monkeypatch)
    callers = await asyncio.gather(*(current._caller(db, token, "api") for _ in range(20)))
    assert [c.phone for c in callers] == [user.phone] * 20  # type: ignore[union-attr]
    assert looked_up == ["api"]  # twenty callers at once, one database read
    assert current.CALLERS.pending == {}  # nothing left in flight


async def test_a_logout_during_a_lookup_keeps_nothing(client, make_user, login_api, monkeypatch) -> None:
    monkeypatch.setattr(current, "CALLERS", current._Callers())
    user = await make_user("admin")
    headers = await login_api(client, user.phone)
    real = auth_service.user_for_token

    async def slow(db, token, kind):  # type: ignore[no-untyped-def]
        account = await real(db, token, kind)
        current.forget_token(token)  # the logout lands while this lookup is reading the row
        return account

    monkeypatch.setattr(auth_service, "user_for_token", slow)
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
    assert current.CALLERS.entries == {}  # not kept: the next request asks the database again
