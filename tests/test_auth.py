"""Login by phone + password, API tokens, page sessions with CSRF, role guards, lockout."""

from datetime import timedelta

from sqlalchemy import select

from caoyuan.auth.models import AuthToken, UserAccount
from caoyuan.clock import frozen_at
from caoyuan.db import utcnow
from tests.conftest import PASSWORD


async def test_token_login_and_me(client, make_user, login_api) -> None:
    user = await make_user("host", phone="13700000001", name="其其格")
    headers = await login_api(client, "13700000001")
    me = await client.get("/api/auth/me", headers=headers)
    assert me.status_code == 200
    assert me.json() == {"id": user.id, "phone": "13700000001", "display_name": "其其格", "role": "host"}


async def test_token_is_stored_hashed_and_revocable(client, make_user, login_api, db) -> None:
    await make_user("admin", phone="13700000002")
    headers = await login_api(client, "13700000002")
    raw = headers["Authorization"].split()[1]
    async with db.session() as s:
        stored = (await s.scalars(select(AuthToken.token_hash))).all()
    assert raw not in stored and len(stored) == 1
    assert (await client.delete("/api/auth/token", headers=headers)).status_code == 204
    again = await client.get("/api/auth/me", headers=headers)
    assert again.status_code == 401
    assert again.json()["code"] == "unauthorized"


async def test_wrong_password_and_unknown_phone_look_the_same(client, make_user) -> None:
    await make_user("member", phone="13700000003")
    wrong = await client.post("/api/auth/token", json={"phone": "13700000003", "password": "nope-nope"})
    unknown = await client.post("/api/auth/token", json={"phone": "13700000099", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["message"].startswith("手机号或密码不正确")
    assert unknown.json()["message"] == "手机号或密码不正确"


async def test_bad_phone_is_a_field_error(client) -> None:
    response = await client.post("/api/auth/token", json={"phone": "12345", "password": "whatever1"})
    assert response.status_code == 422
    body = response.json()
    assert body["fields"][0]["field"] == "phone"
    assert "手机号" in body["message"]


async def test_malformed_and_incomplete_json(client) -> None:
    bad = await client.post("/api/auth/token", content=b"{not json", headers={"content-type": "application/json"})
    assert bad.status_code == 400 and bad.json()["code"] == "malformed_json"
    missing = await client.post("/api/auth/token", json={"phone": "13700000001"})
    assert missing.status_code == 400
    assert missing.json()["fields"][0]["field"] == "password"


async def test_five_wrong_passwords_lock_for_fifteen_minutes(client, make_user, db) -> None:
    user = await make_user("admin", phone="13700000004")
    for attempt in range(1, 5):
        r = await client.post("/api/auth/token", json={"phone": "13700000004", "password": "wrong-pass"})
        assert r.status_code == 401, attempt
        assert f"再错 {5 - attempt} 次" in r.json()["message"]
    fifth = await client.post("/api/auth/token", json={"phone": "13700000004", "password": "wrong-pass"})
    assert fifth.status_code == 423 and fifth.json()["code"] == "account_locked"
    # even the right password is refused while locked
    locked = await client.post("/api/auth/token", json={"phone": "13700000004", "password": PASSWORD})
    assert locked.status_code == 423
    assert "分钟后再试" in locked.json()["message"]
    # 15 minutes later it opens again (move the clock rather than sleeping)
    with frozen_at(utcnow() + timedelta(minutes=15, seconds=1)):
        ok = await client.post("/api/auth/token", json={"phone": "13700000004", "password": PASSWORD})
    assert ok.status_code == 201
    async with db.session() as s:
        fresh = await s.get(UserAccount, user.id)
        assert fresh.failed_logins == 0 and fresh.locked_until is None


async def test_a_right_password_resets_the_count(client, make_user, db) -> None:
    user = await make_user("admin", phone="13700000005")
    for _ in range(4):
        await client.post("/api/auth/token", json={"phone": "13700000005", "password": "wrong-pass"})
    right = await client.post("/api/auth/token", json={"phone": "13700000005", "password": PASSWORD})
    assert right.status_code == 201
    async with db.session() as s:
        assert (await s.get(UserAccount, user.id)).failed_logins == 0


async def test_api_ignores_session_cookie(client, make_user, login_page) -> None:
    # The API is CSRF-exempt, so it must never act on the browser's cookie.
    await make_user("admin", phone="13700000006")
    await login_page(client, "13700000006")
    assert (await client.get("/api/auth/me")).status_code == 401


async def test_page_login_sets_session_and_logout_ends_it(client, make_user, login_page) -> None:
    await make_user("member", phone="13700000007")
    await login_page(client, "13700000007")
    account = await client.get("/account/")
    assert account.status_code == 200 and "我的账户" in account.text
    csrf = client.cookies.get("caoyuan_csrf")
    out = await client.post("/logout", headers={"x-csrftoken": csrf}, follow_redirects=False)
    assert out.status_code == 303
    after = await client.get("/account/", follow_redirects=False)
    assert after.status_code == 303 and after.headers["location"].startswith("/login?next=")


async def test_page_post_without_csrf_is_refused_in_chinese(client, make_user) -> None:
    await make_user("member", phone="13700000008")
    await client.get("/login")
    response = await client.post(
        "/login", data={"phone": "13700000008", "password": PASSWORD}, headers={"accept": "text/html"}
    )
    assert response.status_code == 403
    assert "表单已过期" in response.text


async def test_login_page_shows_the_error(client, make_user) -> None:
    await make_user("member", phone="13700000009")
    await client.get("/login")
    csrf = client.cookies.get("caoyuan_csrf")
    response = await client.post(
        "/login", data={"phone": "13700000009", "password": "bad-bad-bad"}, headers={"x-csrftoken": csrf}
    )
    assert response.status_code == 401
    assert "手机号或密码不正确" in response.text


async def test_login_never_redirects_off_site(client, make_user) -> None:
    await make_user("member", phone="13700000010")
    await client.get("/login")
    csrf = client.cookies.get("caoyuan_csrf")
    response = await client.post(
        "/login",
        data={"phone": "13700000010", "password": PASSWORD, "next": "//evil.example/"},
        headers={"x-csrftoken": csrf},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


async def test_home_sends_each_role_to_its_place(client, make_user, login_page) -> None:
    places = {
        "admin": "/coop/",
        "member": "/coop/me",
        "host": "/live/console",
        "buyer": "/shop/",
        "operator": "/machinery/today",
    }
    for number, (role, place) in enumerate(places.items(), start=20):
        phone = f"137000000{number}"
        await make_user(role, phone=phone)
        client.cookies.clear()
        await login_page(client, phone)
        home = await client.get("/", follow_redirects=False)
        assert (home.status_code, home.headers.get("location")) == (303, place), role
        landing = await client.get(place, follow_redirects=True)  # an admin of an empty install: /coop/setup/
        assert landing.status_code == 200, (role, landing.text[:300])


async def test_guards_per_role(client, make_user, login_api) -> None:
    await make_user("buyer", phone="13700000030")
    headers = await login_api(client, "13700000030")
    response = await client.get("/api/coop/members/1", headers=headers)
    assert response.status_code == 403
    assert response.json() == {"code": "forbidden", "message": "您的账户没有权限访问这里"}
    anonymous = await client.get("/api/coop/members/1")
    assert anonymous.status_code == 401


async def test_change_password(client, make_user, login_page) -> None:
    await make_user("operator", phone="13700000031")
    await login_page(client, "13700000031")
    csrf = client.cookies.get("caoyuan_csrf")
    mismatch = await client.post(
        "/account/password",
        headers={"x-csrftoken": csrf},
        data={"current": PASSWORD, "new": "new-pass-123", "confirm": "other-123"},
    )
    assert mismatch.status_code == 422 and "不一致" in mismatch.text
    ok = await client.post(
        "/account/password",
        headers={"x-csrftoken": csrf},
        follow_redirects=False,
        data={"current": PASSWORD, "new": "new-pass-123", "confirm": "new-pass-123"},
    )
    assert ok.status_code == 303
    old = await client.post("/api/auth/token", json={"phone": "13700000031", "password": PASSWORD})
    assert old.status_code == 401
    new = await client.post("/api/auth/token", json={"phone": "13700000031", "password": "new-pass-123"})
    assert new.status_code == 201
