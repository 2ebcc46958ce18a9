"""The audit log (issue 10): each founding and charter change writes who/when/what in the same transaction;
a refused change leaves no event; secrets never reach it; the admin pages through it newest first."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from caoyuan import audit
from caoyuan.audit import AuditEvent
from caoyuan.auth import setup_link
from coop.rules.charter import Terms
from coop.services.charter import record_charter
from tests.factories.coop import CODE, FORM, OTHER


def _csrf(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}


def test_secrets_are_dropped_from_the_detail() -> None:
    clean = audit.without_secrets({"phone": "138****0031", "password": "x", "inner": {"api_token": "t", "n": 1}})
    assert clean == {"phone": "138****0031", "inner": {"n": 1}}


async def _events(db) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        return list((await s.scalars(select(AuditEvent).order_by(AuditEvent.id))).all())


async def test_founding_and_charters_are_logged_and_paged(client, db, make_user, login_page) -> None:
    admin = await make_user("admin", phone="13700000041", name="乌云")
    await make_user("member", phone="13700000042")
    await login_page(client, "13700000041")
    await client.get("/coop/setup/")
    made = await client.post("/coop/setup/", data=FORM, headers=_csrf(client), follow_redirects=False)
    assert made.status_code == 303
    cid = int(made.headers["location"].split("/")[2])
    events = await _events(db)
    assert [(e.action, e.scope, e.actor_user_id) for e in events] == [
        ("cooperative.founded", f"coop:{cid}", admin.id),
        ("charter.recorded", f"coop:{cid}", admin.id),
    ]
    assert events[0].detail["credit_code"] == CODE and events[1].detail["share_price_fen"] == 100_00

    # a refused change (duplicate name) leaves no event
    refused = await client.post("/coop/setup/", data={**FORM, "credit_code": OTHER}, headers=_csrf(client))
    assert refused.status_code == 409 and len(await _events(db)) == 2

    async with db.session() as s:  # 60 more charter versions, so the page has an older page
        for month in range(1, 61):
            day = date(2020 + (month - 1) // 12, (month - 1) % 12 + 1, 1)
            await record_charter(s, cid, day, Terms(), by_user_id=admin.id)
    page = await client.get(f"/coop/{cid}/audit/")
    assert page.status_code == 200 and "登记章程" in page.text and "乌云" in page.text
    assert "2024-12-01 起生效的章程" in page.text and "<b>建立合作社</b>" not in page.text  # newest 50 first
    older = await client.get(f"/coop/{cid}/audit/?before={(await _events(db))[12].id}")
    assert "<b>建立合作社</b>" in older.text and "2024-12-01 起生效" not in older.text
    only = await client.get(f"/coop/{cid}/audit/?action=cooperative.founded")
    assert "<b>建立合作社</b>" in only.text and "起生效的章程" not in only.text

    headers = await _token(client, "13700000041")
    api = await client.get(f"/api/coop/{cid}/audit/?action=cooperative.founded", headers=headers)
    assert api.status_code == 200 and [e["action"] for e in api.json()] == ["cooperative.founded"]
    assert api.json()[0]["actor"] == "乌云"
    member = await _token(client, "13700000042")
    assert (await client.get(f"/api/coop/{cid}/audit/", headers=member)).status_code == 403
    assert (await client.get(f"/api/coop/{cid + 1}/audit/", headers=headers)).status_code == 404


async def _token(client, phone: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    response = await client.post("/api/auth/token", json={"phone": phone, "password": "correct-horse-9"})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_the_first_admin_is_logged_without_the_password(db) -> None:
    async with db.session() as s:
        token, _ = await setup_link.issue(s)
    async with db.session() as s:
        admin = await setup_link.use(
            s, token, phone="13800000051", display_name="乌云", password="grass-2026-ok", confirm="grass-2026-ok"
        )
    (event,) = await _events(db)
    assert (event.action, event.scope, event.actor_user_id) == ("admin.first_created", "", admin.id)
    assert event.detail == {"phone": "138****0051", "via": "setup_link"}
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.scope == "coop:1")) == 0
