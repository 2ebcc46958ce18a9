"""Live rooms are scoped to the cooperatives an admin keeps (issue 10): an admin granted only village B
neither lists, reads, edits nor hosts village A's room, by page or by API, and cannot make a room for A."""

from __future__ import annotations

from sqlalchemy import select

from coop import access
from coop.models import Cooperative
from streaming.models import LiveRoom, LiveSession
from tests.factories.coop import CODE, FORM, OTHER
from tests.factories.live import ROOM
from tests.pages import at_field, post_form


async def _villages(client, db) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    for name, code in (("白音套海嘎查股份经济合作社", CODE), ("八道岭村农机专业合作社", OTHER)):
        made = await post_form(client, "/coop/setup/", {**FORM, "name": name, "credit_code": code})
        assert made.status_code == 303, made.text
    async with db.session() as s:
        a, b = (await s.scalars(select(Cooperative.id).order_by(Cooperative.id))).all()
    return a, b


async def test_an_admin_of_village_b_cannot_reach_village_a_rooms(  # type: ignore[no-untyped-def]
    client, db, make_user, login_page, login_api
) -> None:
    install = await make_user("admin")
    keeper_b = await make_user("admin", name="B村会计")
    host = await make_user("host", name="娜仁")
    await login_page(client, install.phone)
    a, b = await _villages(client, db)
    made = await post_form(client, "/live/setup/rooms/", {**ROOM, "cooperative_id": str(a)})
    assert made.status_code == 303, made.text
    async with db.session() as s:
        room = (await s.scalars(select(LiveRoom))).one()
        await access.grant(s, keeper_b.phone, b)
        await s.commit()
    assert room.cooperative_id == a

    client.cookies.clear()
    await login_page(client, keeper_b.phone)
    listing = await client.get("/live/setup/rooms/")
    assert listing.status_code == 200 and ROOM["name"] not in listing.text
    assert "八道岭村" in listing.text and "白音套海" not in listing.text  # only B is offered for a new room
    assert (await client.get(f"/live/setup/rooms/{room.id}")).status_code == 404
    edited = await post_form(client, f"/live/setup/rooms/{room.id}", {**ROOM, "name": "改名直播间"})
    assert edited.status_code == 404
    hosted = await post_form(client, f"/live/setup/rooms/{room.id}/hosts", {"user_id": str(host.id), "title": "主播"})
    assert hosted.status_code == 404
    for_a = await post_form(client, "/live/setup/rooms/", {**ROOM, "name": "冒名直播间", "cooperative_id": str(a)})
    assert for_a.status_code == 422 and "您管理的合作社" in at_field(for_a.text, "cooperative_id")

    headers = await login_api(client, keeper_b.phone)
    assert (await client.get("/api/live/rooms/", headers=headers)).json() == []
    assert (await client.get(f"/api/live/rooms/{room.id}", headers=headers)).status_code == 404
    async with db.session() as s:
        rooms = (await s.scalars(select(LiveRoom))).all()
    assert [(r.name, r.cooperative_id) for r in rooms] == [(ROOM["name"], a)]  # nothing changed, nothing made

    ok = await post_form(client, "/live/setup/rooms/", {**ROOM, "name": "八道岭直播间", "cooperative_id": str(b)})
    assert ok.status_code == 303, ok.text


async def test_an_admin_of_village_b_cannot_run_village_a_shows(  # type: ignore[no-untyped-def]
    client, db, make_user, login_page, login_api
) -> None:
    install = await make_user("admin")
    keeper_b = await make_user("admin", name="B村会计")
    await login_page(client, install.phone)
    a, b = await _villages(client, db)
    assert (await post_form(client, "/live/setup/rooms/", {**ROOM, "cooperative_id": str(a)})).status_code == 303
    async with db.session() as s:
        room = (await s.scalars(select(LiveRoom))).one()
        await access.grant(s, keeper_b.phone, b)
        await s.commit()
    install_api = await login_api(client, install.phone)
    show = {
        "room_id": room.id,
        "title": "白音套海羊肉专场",
        "content_line": "goods",
        "scheduled_start": "2026-12-20T19:00:00+08:00",
    }
    made = await client.post("/api/live/sessions/", json=show, headers=install_api)
    assert made.status_code == 201, made.text
    session_id = made.json()["id"]

    # village B's keeper: A's show is not on their console, and neither page nor API lets them run it
    client.cookies.clear()
    await login_page(client, keeper_b.phone)
    console = await client.get("/live/console/")
    assert console.status_code == 200 and ROOM["name"] not in console.text and "白音套海羊肉专场" not in console.text
    assert (await client.get(f"/live/console/{session_id}")).status_code == 404
    headers = await login_api(client, keeper_b.phone)
    assert (await client.post(f"/api/live/sessions/{session_id}/start", headers=headers)).status_code == 404
    assert (await client.get(f"/api/live/sessions/{session_id}/stats", headers=headers)).status_code == 404
    again = await client.post("/api/live/sessions/", json={**show, "title": "冒名专场"}, headers=headers)
    assert again.status_code == 404 and again.json()["fields"][0]["field"] == "room_id"
    async with db.session() as s:
        state = (await s.scalars(select(LiveSession.state).where(LiveSession.id == session_id))).one()
        shows = (await s.scalars(select(LiveSession.title))).all()
    assert state == "scheduled" and shows == ["白音套海羊肉专场"]  # nothing started, nothing made

    # the install's admin still runs it
    started = await client.post(f"/api/live/sessions/{session_id}/start", headers=install_api)
    assert started.status_code == 200, started.text
