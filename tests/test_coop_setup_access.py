"""Roles per cooperative (issue 10): an admin granted cooperative A gets 404 for every coop page and API
route that names cooperative B — by its id, a distribution of it or a member of it — reading or writing;
the install's admin (no grants) reaches both, and only they found cooperatives."""

from __future__ import annotations

import re
from datetime import date

from litestar.routes import HTTPRoute
from sqlalchemy import func, select

from coop.models import Cooperative, CoopGrant
from coop.rules.charter import Terms
from coop.services.charter import record_charter
from tests.conftest import PASSWORD
from tests.factories.coop import FORM, make_cooperative

PARAM = re.compile(r"\{(\w+):int\}")


def _csrf(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}


async def _two_villages(client, db, make_user):  # type: ignore[no-untyped-def]
    install = await make_user("admin", phone="13700000061")
    village_a = await make_user("admin", phone="13700000062")
    ids = {}
    async with db.session() as s:
        for key in ("A", "B"):
            coop, people = await make_cooperative(s, members=2, name=f"合作社{key}")
            await record_charter(s, coop.id, date(2020, 1, 1), Terms())
            ids[key] = {"cooperative_id": coop.id, "member_id": people[0].id}
        s.add(CoopGrant(user_id=village_a.id, cooperative_id=ids["A"]["cooperative_id"], role="admin"))
    token = await _token(client, "13700000061")
    for key in ("A", "B"):
        made = await client.post(
            f"/api/coop/{ids[key]['cooperative_id']}/distributions", json={"year": 2025}, headers=token
        )
        assert made.status_code == 201, made.text
        ids[key]["distribution_id"] = made.json()["id"]
    return install, village_a, ids


async def _token(client, phone: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    response = await client.post("/api/auth/token", json={"phone": phone, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _scoped_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(method, path template) of every coop route whose path names a cooperative, distribution or member."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(("/coop", "/api/coop")):
            continue
        if route.path.startswith("/coop/me"):  # a member's own pages: no admin reaches them at all
            continue
        if not set(PARAM.findall(route.path)) & {"cooperative_id", "distribution_id", "member_id"}:
            continue
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            found.append((method, route.path))
    return found


async def test_an_admin_of_village_a_cannot_reach_village_b(client, db, make_user, login_page) -> None:
    _, _, ids = await _two_villages(client, db, make_user)
    routes = _scoped_routes(client.app)
    assert len(routes) > 40  # pages and API, reads and writes
    api = await _token(client, "13700000062")
    await login_page(client, "13700000062")
    for method, template in routes:
        path = PARAM.sub(lambda m: str(ids["B"][m.group(1)]) if m.group(1) in ids["B"] else "1", template)
        headers = api if template.startswith("/api/") else _csrf(client)
        kwargs = {"json": {}} if template.startswith("/api/") and method != "GET" else {}
        response = await client.request(method, path, headers=headers, follow_redirects=False, **kwargs)
        assert response.status_code == 404, (method, path, response.status_code)
    for method, template in routes:  # their own village is let through (a read may still want its query)
        if method != "GET" or "{member_id:int}" in template and "statements" in template:
            continue
        path = PARAM.sub(lambda m: str(ids["A"][m.group(1)]) if m.group(1) in ids["A"] else "1", template)
        headers = api if template.startswith("/api/") else {}
        response = await client.get(path, headers=headers)
        assert response.status_code not in (403, 404), (path, response.status_code)
    picker = await client.get("/coop/")
    assert "合作社A" in picker.text and "合作社B" not in picker.text and "建立一个合作社" not in picker.text


async def test_the_install_admin_reaches_both_and_only_they_found(client, db, make_user, login_page) -> None:
    _, _, ids = await _two_villages(client, db, make_user)
    await login_page(client, "13700000061")
    for key in ("A", "B"):
        cid = ids[key]["cooperative_id"]
        assert (await client.get(f"/coop/{cid}/members")).status_code == 200
        assert (await client.get(f"/coop/distributions/{ids[key]['distribution_id']}")).status_code == 200
    picker = await client.get("/coop/")
    assert "合作社A" in picker.text and "合作社B" in picker.text and "建立一个合作社" in picker.text
    client.cookies.clear()
    await login_page(client, "13700000062")
    await client.get("/coop/setup/")
    refused = await client.post("/coop/setup/", data=FORM, headers=_csrf(client))
    assert refused.status_code == 403 and "只有系统管理员" in refused.text
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Cooperative)) == 2


async def test_granting_by_cli_is_logged_and_machinery_follows_the_grant(client, db, make_user, database_url) -> None:
    import os
    import subprocess
    import sys

    import pytest

    from caoyuan.audit import AuditEvent
    from caoyuan.auth.current import CurrentUser
    from caoyuan.errors import Forbidden
    from coop.access import granted
    from coop.machinery.services.setup import cooperative_of

    _, village_a, ids = await _two_villages(client, db, make_user)
    b = ids["B"]["cooperative_id"]
    env = {**os.environ, "CAOYUAN_DATABASE_URL": database_url}
    args = [sys.executable, "-m", "caoyuan", "coop", "grant", "--phone", "13700000062", "--cooperative", str(b)]
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    async with db.session() as s:
        assert await granted(s, village_a.id) == {ids["A"]["cooperative_id"], b}
        event = await s.scalar(select(AuditEvent).where(AuditEvent.action == "grant.added"))
        assert event is not None and event.scope == f"coop:{b}" and event.detail["phone"] == "137****0062"
        # machinery's set-up keeps the same rule: a granted admin acts only in granted cooperatives
        user = CurrentUser(village_a.id, village_a.phone, "", "admin", "api", "t")  # type: ignore[arg-type]
        assert await cooperative_of(s, user, b) == b
        s.add(Cooperative(name="合作社C", kind="farmer", banner="翁牛特旗", village="C村"))
        await s.flush()
        c = await s.scalar(select(Cooperative.id).where(Cooperative.name == "合作社C"))
        with pytest.raises(Forbidden):
            await cooperative_of(s, user, c)
    not_admin = subprocess.run(
        [*args[:6], "13700000099", "--cooperative", str(b)], capture_output=True, text=True, env=env, timeout=120
    )
    assert not_admin.returncode != 0 and "不是管理员账号" in not_admin.stderr
