"""Live rooms set up from pages (issue 10 item 5): an admin makes a room and names its hosts; the host then
finds it on the console and schedules a show in it. Refusals show at the field and write nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from streaming.models import LiveRoom, LiveRoomHost, LiveSession
from tests.factories.live import ROOM
from tests.pages import at_field, post_form


async def _count(db, model) -> int:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def test_admin_sets_up_a_room_and_its_host_schedules_in_it(client, db, make_user, login_page) -> None:
    admin = await make_user("admin")
    host = await make_user("host", name="娜仁")
    await login_page(client, admin.phone)

    made = await post_form(client, "/live/setup/rooms/", ROOM)
    assert made.status_code == 303, made.text
    room_url = made.headers["location"].split("?")[0]
    async with db.session() as s:
        room = (await s.scalars(select(LiveRoom))).one()
    assert (room.name, room.banner, room.content_lines) == ("乌审旗草原村播直播间", "乌审旗", "goods,stories")
    assert room_url == f"/live/setup/rooms/{room.id}"

    page = await client.get(room_url)
    assert page.status_code == 200 and "娜仁（尾号" in page.text and "乌审旗" in page.text
    named = await post_form(client, f"{room_url}/hosts", {"user_id": str(host.id), "title": "主播"})
    assert named.status_code == 303, named.text
    listing = await client.get("/live/setup/rooms/")
    assert "主播：娜仁" in listing.text

    edited = await post_form(client, room_url, {**ROOM, "name": "乌审旗直播间", "line_culture": "on"})
    assert edited.status_code == 303, edited.text
    async with db.session() as s:
        again = await s.get(LiveRoom, room.id)
        assert (again.name, again.content_lines) == ("乌审旗直播间", "goods,culture,stories")

    client.cookies.clear()
    await login_page(client, host.phone)
    console = await client.get("/live/console/")
    assert "乌审旗直播间" in console.text and "没有被添加" not in console.text
    scheduled = await post_form(
        client,
        "/live/console/schedule",
        {
            "room_id": str(room.id),
            "title": "周六 羊肉专场",
            "content_line": "goods",
            "scheduled_start": "2026-12-05T19:30",
        },
    )
    assert scheduled.status_code == 303 and "error" not in scheduled.headers["location"], scheduled.headers
    async with db.session() as s:
        show = (await s.scalars(select(LiveSession))).one()
    assert (show.room_id, show.created_by) == (room.id, host.id)


async def test_refusals_show_at_the_field_and_write_nothing(client, db, make_user, login_page) -> None:
    admin = await make_user("admin")
    host = await make_user("host", name="巴图")
    other = await make_user("host", name="萨仁")
    member = await make_user("member", name="社员")
    await login_page(client, admin.phone)
    cases = [
        ({**ROOM, "name": ""}, "name"),
        ({**ROOM, "name": "   "}, "name"),
        ({**ROOM, "name": "直" * 101}, "name"),
        ({**ROOM, "banner": "旗" * 51}, "banner"),
        ({**ROOM, "description": "介" * 501}, "description"),
        ({**ROOM, "line_ads": "on"}, "content_lines"),
    ]
    for form, field in cases:
        page = await post_form(client, "/live/setup/rooms/", form)
        assert page.status_code == 422, (form, page.status_code)
        assert at_field(page.text, field), (field, page.text[-2000:])
        assert "新建直播间" in page.text and ROOM["place"] in page.text  # the input is kept
    assert await _count(db, LiveRoom) == 0

    room_url = (await post_form(client, "/live/setup/rooms/", ROOM)).headers["location"].split("?")[0]
    assert await post_form(client, f"{room_url}/hosts", {"user_id": str(host.id)}) is not None
    for form, status in [
        ({"user_id": str(member.id), "title": "主播"}, 422),  # not a host login
        ({"user_id": str(admin.id), "title": "主播"}, 422),
        ({"user_id": "999999", "title": "主播"}, 422),
        ({"user_id": "abc", "title": "主播"}, 422),
        ({"user_id": str(host.id), "title": "联合主播"}, 409),  # already named
        ({"user_id": str(other.id), "title": "称" * 31}, 422),
    ]:
        page = await post_form(client, f"{room_url}/hosts", form)
        assert page.status_code == status, (form, page.status_code)
        field = "title" if len(form["title"]) > 30 else "user_id"
        assert at_field(page.text, field), (form, page.text[-2000:])
        assert "乌审旗草原村播直播间" in page.text  # the room's own form still shows its values
    assert await _count(db, LiveRoomHost) == 1

    bad_edit = await post_form(client, room_url, {**ROOM, "name": "x"})
    assert bad_edit.status_code == 422 and at_field(bad_edit.text, "name")
    async with db.session() as s:
        assert (await s.scalars(select(LiveRoom.name))).one() == ROOM["name"]


async def test_a_host_cannot_set_up_rooms(client, db, make_user, login_page, login_api) -> None:
    host = await make_user("host")
    await login_page(client, host.phone)
    assert (await client.get("/live/setup/rooms/")).status_code == 403
    assert (await post_form(client, "/live/setup/rooms/", ROOM)).status_code == 403
    headers = await login_api(client, host.phone)
    api = await client.post("/api/live/rooms/", json={"name": "主播自建", "banner": "鄂托克旗"}, headers=headers)
    assert api.status_code == 403
    assert await _count(db, LiveRoom) == 0


async def test_the_api_sets_up_rooms_and_hosts(client, db, make_user, login_api) -> None:
    admin = await make_user("admin")
    host, co_host = await make_user("host", name="其其格"), await make_user("host", name="高书记")
    headers = await login_api(client, admin.phone)
    made = await client.post(
        "/api/live/rooms/",
        json={"name": "鄂托克旗直播间", "banner": "鄂托克旗", "content_lines": ["memory", "goods"]},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    room = made.json()
    assert room["content_lines"] == ["goods", "memory"] and room["hosts"] == []
    url = f"/api/live/rooms/{room['id']}"
    assert (await client.post(f"{url}/hosts", json={"user_id": host.id}, headers=headers)).status_code == 201
    both = await client.post(f"{url}/hosts", json={"user_id": co_host.id, "title": "第一书记"}, headers=headers)
    assert [(h["name"], h["title"]) for h in both.json()["hosts"]] == [("其其格", "主播"), ("高书记", "第一书记")]
    again = await client.post(f"{url}/hosts", json={"user_id": co_host.id}, headers=headers)
    assert again.status_code == 409 and again.json()["fields"][0]["field"] == "user_id"
    bad = await client.post("/api/live/rooms/", json={"name": "", "banner": "鄂托克旗"}, headers=headers)
    assert bad.status_code in (400, 422)
    bad_line = await client.put(
        url, json={"name": "鄂托克旗直播间", "banner": "鄂托克旗", "content_lines": ["ads"]}, headers=headers
    )
    assert bad_line.status_code in (400, 422)
    removed = await client.delete(f"{url}/hosts/{co_host.id}", headers=headers)
    assert removed.status_code == 200 and [h["name"] for h in removed.json()["hosts"]] == ["其其格"]
    assert (await client.delete(f"{url}/hosts/{co_host.id}", headers=headers)).status_code == 404
    assert await _count(db, LiveRoomHost) == 1


async def test_removing_a_host_from_the_page_takes_the_room_off_their_console(
    client, db, make_user, login_page
) -> None:
    admin = await make_user("admin")
    host = await make_user("host", name="娜仁")
    await login_page(client, admin.phone)
    room_url = (await post_form(client, "/live/setup/rooms/", ROOM)).headers["location"].split("?")[0]
    await post_form(client, f"{room_url}/hosts", {"user_id": str(host.id), "title": "主播"})
    removed = await post_form(client, f"{room_url}/hosts/{host.id}/remove", {})
    assert removed.status_code == 303 and await _count(db, LiveRoomHost) == 0
    again = await post_form(client, f"{room_url}/hosts/{host.id}/remove", {})
    assert again.status_code == 404 and at_field(again.text, "user_id")
    client.cookies.clear()
    await login_page(client, host.phone)
    console = await client.get("/live/console/")
    assert ROOM["name"] not in console.text and "没有被添加" in console.text
