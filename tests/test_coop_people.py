"""The cooperative's logins (issue 10 item 2): create, deactivate, reset (temporary password that must be
changed first; old sessions end), role change — each with its audit event; an admin of A cannot reach B's
people; a granted admin cannot reach or make the install's admin; bad input changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from caoyuan.audit import AuditEvent
from caoyuan.auth.models import UserAccount
from coop.models import CoopGrant, Member
from tests.conftest import PASSWORD
from tests.factories.coop import make_cooperative


def _csrf(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}


async def _token(client, phone: str, password: str = PASSWORD) -> dict[str, str]:  # type: ignore[no-untyped-def]
    response = await client.post("/api/auth/token", json={"phone": phone, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _villages(db, make_user):  # type: ignore[no-untyped-def]
    """Two cooperatives; 13700000071 is the install's admin, 13700000072 the granted admin of A only."""
    await make_user("admin", phone="13700000071", name="系统管理员")
    village_a = await make_user("admin", phone="13700000072", name="巴特尔")
    async with db.session() as s:
        a, people_a = await make_cooperative(s, members=2, name="合作社A")
        b, _ = await make_cooperative(s, members=1, name="合作社B")
        s.add(CoopGrant(user_id=village_a.id, cooperative_id=a.id, role="admin"))
        return a.id, b.id, people_a[0].id


async def _count(db, model) -> int:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def _actions(db, cid: int) -> list[str]:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        rows = await s.scalars(
            select(AuditEvent.action).where(AuditEvent.scope == f"coop:{cid}").order_by(AuditEvent.id)
        )
        return list(rows.all())


async def test_create_reset_deactivate_and_role_change(client, db, make_user) -> None:
    a, _, member_id = await _villages(db, make_user)
    admin = await _token(client, "13700000072")
    made = await client.post(
        f"/api/coop/{a}/people/",
        json={"phone": "13700000081", "name": "其其格", "role": "member", "member_id": member_id},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    uid, temporary = made.json()["user_id"], made.json()["temporary_password"]
    async with db.session() as s:
        assert (await s.get(Member, member_id)).user_id == uid  # type: ignore[union-attr]

    # the new login must change the temporary password before anything else
    theirs = await _token(client, "13700000081", temporary)
    blocked = await client.get("/api/auth/me", headers=theirs)
    assert blocked.status_code == 403 and blocked.json()["code"] == "must_change_password"
    await client.get("/login")
    await client.post(
        "/login", data={"phone": "13700000081", "password": temporary, "next": "/"}, headers=_csrf(client)
    )
    page = await client.get("/coop/me", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/account/")
    changed = await client.post(
        "/account/password",
        data={"current": temporary, "new": "my-own-pass-7", "confirm": "my-own-pass-7"},
        headers=_csrf(client),
        follow_redirects=False,
    )
    assert changed.status_code == 303, changed.text
    assert (await client.get("/coop/me", follow_redirects=False)).status_code == 200
    client.cookies.clear()

    # a reset ends their sessions and tokens, and makes them change the password again
    fresh = await _token(client, "13700000081", "my-own-pass-7")
    assert (await client.get("/api/auth/me", headers=fresh)).status_code == 200
    reset = await client.post(f"/api/coop/{a}/people/{uid}/reset-password", headers=admin)
    assert reset.status_code == 200
    assert (await client.get("/api/auth/me", headers=fresh)).status_code == 401
    again = await _token(client, "13700000081", reset.json()["temporary_password"])
    assert (await client.get("/api/auth/me", headers=again)).json()["code"] == "must_change_password"
    refused = await client.post("/api/auth/token", json={"phone": "13700000081", "password": "my-own-pass-7"})
    assert refused.status_code == 401

    # role change: member → operator unlinks the household
    role = await client.post(f"/api/coop/{a}/people/{uid}/role", json={"role": "operator"}, headers=admin)
    assert role.status_code == 200
    listed = (await client.get(f"/api/coop/{a}/people/", headers=admin)).json()
    assert [(p["name"], p["role"]) for p in listed] == [("巴特尔", "admin"), ("其其格", "operator")]
    async with db.session() as s:
        assert (await s.get(Member, member_id)).user_id is None  # type: ignore[union-attr]
        assert (await s.get(UserAccount, uid)).role == "operator"  # type: ignore[union-attr]

    # deactivated: cannot log in; reactivated: can
    assert (await client.post(f"/api/coop/{a}/people/{uid}/deactivate", headers=admin)).status_code == 200
    gone = await client.post(
        "/api/auth/token", json={"phone": "13700000081", "password": reset.json()["temporary_password"]}
    )
    assert gone.status_code == 401
    assert (await client.post(f"/api/coop/{a}/people/{uid}/reactivate", headers=admin)).status_code == 200
    await _token(client, "13700000081", reset.json()["temporary_password"])

    assert await _actions(db, a) == [
        "person.created",
        "person.password_reset",
        "person.role_changed",
        "person.deactivated",
        "person.reactivated",
    ]


async def test_an_admin_of_a_cannot_reach_b_or_the_install_admin(client, db, make_user) -> None:
    a, b, _ = await _villages(db, make_user)
    admin = await _token(client, "13700000072")
    install = await _token(client, "13700000071")
    in_b = await client.post(
        f"/api/coop/{b}/people/", json={"phone": "13700000082", "name": "B村", "role": "host"}, headers=install
    )
    assert in_b.status_code == 201
    b_user = in_b.json()["user_id"]
    assert (await client.get(f"/api/coop/{b}/people/", headers=admin)).status_code == 404
    assert (await client.post(f"/api/coop/{b}/people/{b_user}/deactivate", headers=admin)).status_code == 404
    # B's login named under A's path is not A's
    assert (await client.post(f"/api/coop/{a}/people/{b_user}/deactivate", headers=admin)).status_code == 404
    # the install's admin cannot be narrowed to A by A's admin
    narrowed = await client.post(f"/api/coop/{a}/people/grant", json={"phone": "13700000071"}, headers=admin)
    assert narrowed.status_code == 403
    async with db.session() as s:
        install_id = await s.scalar(select(UserAccount.id).where(UserAccount.phone == "13700000071"))
        assert await s.scalar(select(func.count()).select_from(CoopGrant).where(CoopGrant.user_id == install_id)) == 0
    # an admin made by A's admin is A's admin, never an install admin
    made = await client.post(
        f"/api/coop/{a}/people/", json={"phone": "13700000083", "name": "会计", "role": "admin"}, headers=admin
    )
    assert made.status_code == 201
    async with db.session() as s:
        grants = (
            await s.scalars(select(CoopGrant.cooperative_id).where(CoopGrant.user_id == made.json()["user_id"]))
        ).all()
        assert list(grants) == [a]
    # a login in A and B is beyond A's admin
    await client.post(f"/api/coop/{b}/people/grant", json={"phone": "13700000083"}, headers=install)
    assert (
        await client.post(f"/api/coop/{a}/people/{made.json()['user_id']}/reset-password", headers=admin)
    ).status_code == 403


async def test_bad_input_is_refused_at_the_field_and_writes_nothing(client, db, make_user, login_page) -> None:
    a, _, _ = await _villages(db, make_user)
    await login_page(client, "13700000072")
    await client.get(f"/coop/{a}/people/")
    users, grants, events = await _count(db, UserAccount), await _count(db, CoopGrant), await _count(db, AuditEvent)
    cases = [
        ({"phone": "13700000071", "name": "重复", "role": "host"}, "phone", "已注册"),
        ({"phone": "12345", "name": "坏号", "role": "host"}, "phone", "手机号"),
        ({"phone": "13700000084", "name": "角色", "role": "boss"}, "role", "未知角色"),
        ({"phone": "13700000084", "name": "", "role": "host"}, "name", "请填写姓名"),
    ]
    for form, field, words in cases:
        page = await client.post(f"/coop/{a}/people/", data=form, headers=_csrf(client))
        assert 400 <= page.status_code < 500, page.text
        assert f'id="{field}-error"' in page.text and words in page.text
    assert (await _count(db, UserAccount), await _count(db, CoopGrant), await _count(db, AuditEvent)) == (
        users,
        grants,
        events,
    )

    made = await client.post(
        f"/coop/{a}/people/", data={"phone": "13700000085", "name": "主播乌兰", "role": "host"}, headers=_csrf(client)
    )
    assert made.status_code == 200 and "只显示这一次" in made.text and "主播乌兰" in made.text
    listing = await client.get(f"/coop/{a}/people/")
    assert "主播乌兰" in listing.text and "只显示这一次" not in listing.text  # shown once only
    api = await _token(client, "13700000072")
    bad = await client.post(
        f"/api/coop/{a}/people/", json={"phone": "13700000086", "name": "x", "role": "buyer"}, headers=api
    )
    assert bad.status_code == 422, bad.text
    assert [f["field"] for f in bad.json()["fields"]] == ["role"], bad.text
