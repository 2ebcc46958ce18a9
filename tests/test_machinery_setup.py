"""Issue 10: a cooperative sets up its fleet from /machinery/setup and /api/machinery/... — service types,
season prices, the pricing rule, operators and machines — the same service behind both; bad input gets a
Chinese message at the field and changes nothing; an admin of one cooperative cannot touch another's."""

from __future__ import annotations

from sqlalchemy import func, select

from caoyuan import clock
from caoyuan.auth.models import UserAccount
from caoyuan.auth.service import create_user
from coop.machinery.models import Booking, Machine, Manager, Operator, PricingPolicy, SeasonPrice, ServiceType
from tests.conftest import PASSWORD
from tests.factories.coop import make_cooperative
from tests.factories.machinery import (
    ADMIN_PHONE,
    MEMBER_PHONE,
    OPERATOR_PHONES,
    booking_body,
    day,
    make_fleet,
    plot,
)

YEAR = clock.today().year
OTHER_ADMIN = "13800000099"


def _csrf(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}


def _at_field(html: str, field: str) -> str:
    marker = f'id="{field}-error" role="alert">'
    return html.split(marker, 1)[1].split("</span>", 1)[0] if marker in html else ""


def _field(response) -> str:  # type: ignore[no-untyped-def]
    """The field a JSON refusal names (caoyuan.web.errors: fields[0].field)."""
    return (response.json().get("fields") or [{}])[0].get("field", "")


async def _rows(db, model, *where) -> list:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        return list((await s.scalars(select(model).where(*where))).all())


async def _count(db, model, *where) -> int:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where))


# ---------------------------------------------------------------------- API


async def test_service_types_listed_added_renamed_retired(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    admin = await login_api(client, ADMIN_PHONE)
    made = await client.post(
        "/api/machinery/services", headers=admin, json={"name": " 播种 ", "machine_kind": "拖拉机"}
    )
    assert made.status_code == 201, made.text
    sowing = made.json()
    assert sowing["name"] == "播种" and sowing["active"] is True
    twice = await client.post("/api/machinery/services", headers=admin, json={"name": "玉米收割", "machine_kind": "x"})
    assert twice.status_code == 409 and _field(twice) == "name" and "玉米收割" in twice.json()["message"]
    blank = await client.post("/api/machinery/services", headers=admin, json={"name": "  ", "machine_kind": "拖拉机"})
    assert blank.status_code == 422 and _field(blank) == "name"
    renamed = await client.patch(f"/api/machinery/services/{sowing['id']}", headers=admin, json={"name": "玉米播种"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "玉米播种"
    clash = await client.patch(f"/api/machinery/services/{sowing['id']}", headers=admin, json={"name": "深翻"})
    assert clash.status_code == 409 and _field(clash) == "name"
    # a service in use is retired, never deleted: its booking stays, new bookings are refused in words
    member = await login_api(client, MEMBER_PHONE)
    booked = await client.post("/api/machinery/bookings", headers=member, json=booking_body(fleet, plot("5")))
    assert booked.status_code == 201, booked.text
    retired = await client.post(
        f"/api/machinery/services/{fleet.harvest_id}/active", headers=admin, json={"active": False}
    )
    assert retired.status_code == 201 and retired.json()["active"] is False
    refused = await client.post("/api/machinery/bookings", headers=member, json=booking_body(fleet, plot("5")))
    assert refused.status_code == 422 and "已停办" in refused.json()["message"]
    assert _field(refused) == "service_type_id"
    old = await client.get(f"/api/machinery/bookings/{booked.json()['id']}", headers=member)
    assert old.status_code == 200 and old.json()["service"] == "玉米收割"
    listed = await client.get("/api/machinery/services", headers=admin)
    assert {s["name"]: s["active"] for s in listed.json()} == {"玉米收割": False, "深翻": True, "玉米播种": True}
    again = await client.post(
        f"/api/machinery/services/{fleet.harvest_id}/active", headers=admin, json={"active": True}
    )
    assert again.json()["active"] is True
    assert (
        await client.post("/api/machinery/bookings", headers=member, json=booking_body(fleet, plot("5")))
    ).status_code == 201


async def test_season_prices_checked_and_copied(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    admin = await login_api(client, ADMIN_PHONE)
    good = {"service_type_id": fleet.harvest_id, "season": YEAR, "market_fen": 9000}
    for body, field, words in (
        ({**good, "market_fen": -1}, "market_fen", "不能低于零"),
        ({**good, "member_fen": 9500}, "member_fen", "不能高于市场价"),
        ({**good, "non_member_fen": 9001}, "non_member_fen", "不能高于市场价"),
        ({**good, "member_fen": -100}, "member_fen", "不能低于零"),
        ({**good, "market_fen": 2000}, "market_fen", "社员优惠"),  # the rule's 30 元 discount is beyond 20 元
        ({**good, "service_type_id": 2**31 - 1}, "service_type_id", "没有"),
    ):
        refused = await client.put("/api/machinery/prices", headers=admin, json=body)
        assert refused.status_code in (404, 422), (body, refused.text)
        assert _field(refused) == field and words in refused.json()["message"], refused.text
    prices = await _rows(db, SeasonPrice, SeasonPrice.service_type_id == fleet.harvest_id, SeasonPrice.season == YEAR)
    assert [p.market_fen for p in prices] == [8000]  # nothing changed
    fixed = await client.put(
        "/api/machinery/prices",
        headers=admin,
        json={**good, "market_fen": 2000, "member_fen": 1500, "non_member_fen": 2000},
    )
    assert fixed.status_code == 200 and fixed.json()["member_fen"] == 1500  # fixed prices need no rule
    quote = await client.get(
        "/api/machinery/quote", params={"service_type_id": fleet.harvest_id, "area": "2"}, headers=admin
    )
    assert quote.json()["per_mu"]["market_fen"] == 2000
    # a new season copies the latest one (make_fleet priced this year and the one 120 days on), then is edited
    last = day(120).year
    assert (
        await client.put("/api/machinery/prices", headers=admin, json={**good, "season": last, "market_fen": 9100})
    ).status_code == 200
    future = YEAR + 3
    copied = await client.post(f"/api/machinery/prices/{future}/copy", headers=admin)
    assert copied.status_code == 201, copied.text
    assert {r["service"]: r["market_fen"] for r in copied.json()} == {"玉米收割": 9100, "深翻": 6000}
    twice = await client.post(f"/api/machinery/prices/{future}/copy", headers=admin)
    assert twice.status_code == 409 and _field(twice) == "season"
    nothing = await client.post("/api/machinery/prices/2001/copy", headers=admin)
    assert nothing.status_code == 422 and "没有价格" in nothing.json()["message"]
    edited = await client.put(
        "/api/machinery/prices", headers=admin, json={**good, "season": future, "market_fen": 8800}
    )
    assert edited.json()["market_fen"] == 8800
    listed = await client.get("/api/machinery/prices", params={"season": future}, headers=admin)
    assert {r["service"]: r["market_fen"] for r in listed.json()} == {"玉米收割": 8800, "深翻": 6000}


async def test_pricing_rule_edited_with_the_same_checks(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    admin = await login_api(client, ADMIN_PHONE)
    rule = {
        "member_discount_fen": 2500,
        "non_member_discount_fen": 500,
        "hardship_mode": "reduce",
        "hardship_reduction_fen": 1500,
        "max_area": "300",
    }
    for body, field in (
        ({**rule, "member_discount_fen": 6500}, "member_discount_fen"),  # 深翻's market is 60 元
        ({**rule, "non_member_discount_fen": -1}, "non_member_discount_fen"),
        ({**rule, "hardship_reduction_fen": 4000}, "hardship_reduction_fen"),  # 深翻 member: 35 元
        ({**rule, "hardship_mode": "free"}, "hardship_mode"),
        ({**rule, "max_area": "0"}, "max_area"),
        ({**rule, "max_area": "abc"}, "max_area"),
    ):
        refused = await client.put("/api/machinery/policy", headers=admin, json=body)
        assert refused.status_code == 422 and _field(refused) == field, (body, refused.text)
    before = await client.get("/api/machinery/policy", headers=admin)
    assert before.json()["member_discount_fen"] == 3000  # unchanged
    saved = await client.put("/api/machinery/policy", headers=admin, json=rule)
    assert saved.status_code == 200 and saved.json()["max_area"] == "300.00"
    quote = await client.get(
        "/api/machinery/quote",
        headers=admin,
        params={"service_type_id": fleet.harvest_id, "area": "1", "member_id": fleet.member_ids[1]},
    )
    per_mu = quote.json()["per_mu"]
    assert (per_mu["list_fen"], per_mu["price_fen"]) == (8000 - 2500, 8000 - 2500 - 1500)  # 困难户 member
    waived = await client.put(
        "/api/machinery/policy", headers=admin, json={**rule, "hardship_mode": "waive", "hardship_reduction_fen": 0}
    )
    assert waived.json()["hardship_mode"] == "waive"
    async with db.session() as s:
        row = await s.scalar(select(PricingPolicy).where(PricingPolicy.cooperative_id == fleet.cooperative_id))
        assert (row.hardship_mode, row.max_area) == ("waive", 30000)


async def test_operators_made_with_a_login_edited_and_deactivated(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    admin = await login_api(client, ADMIN_PHONE)
    new = {
        "phone": "13911112222",
        "name": "巴特尔",
        "password": PASSWORD,
        "daily_capacity": "60",
        "wage_basis": "day",
        "wage_rate_fen": 25000,
        "machine_id": fleet.machine_ids[0],
    }
    for body, field in (
        ({**new, "wage_rate_fen": -1}, "wage_rate_fen"),
        ({**new, "wage_basis": "hour"}, "wage_basis"),
        ({**new, "daily_capacity": "0"}, "daily_capacity"),
        ({**new, "phone": "123"}, "phone"),
        ({**new, "password": "1"}, "password"),
        ({**new, "name": ""}, "name"),
    ):
        refused = await client.post("/api/machinery/operators", headers=admin, json=body)
        assert refused.status_code == 422 and _field(refused) == field, (body, refused.text)
    assert await _count(db, UserAccount, UserAccount.phone == "13911112222") == 0  # no login left behind
    made = await client.post("/api/machinery/operators", headers=admin, json=new)
    assert made.status_code == 201, made.text
    operator = made.json()
    assert operator["name"] == "巴特尔" and operator["phone_masked"] != "13911112222"
    account = (await _rows(db, UserAccount, UserAccount.phone == "13911112222"))[0]
    assert account.role == "operator" and account.password_hash != PASSWORD
    own = await login_api(client, "13911112222")  # the new villager can log in
    assert (await client.get("/api/machinery/bookings", headers=own)).status_code == 200
    edited = await client.patch(
        f"/api/machinery/operators/{operator['id']}",
        headers=admin,
        json={"daily_capacity": "45.5", "wage_basis": "mu", "wage_rate_fen": 900},
    )
    assert edited.status_code == 200 and (edited.json()["wage_basis"], edited.json()["wage_rate_fen"]) == ("mu", 900)
    # an operator holding a job is not stopped until it is moved
    member = await login_api(client, MEMBER_PHONE)
    job = await client.post(
        "/api/machinery/bookings", headers=member, json=booking_body(fleet, plot("5"), day=str(day(1)))
    )
    assert job.status_code == 201 and job.json()["status"] == "scheduled", job.text
    held = await client.post(
        f"/api/machinery/operators/{fleet.operator_ids[0]}/active", headers=admin, json={"active": False}
    )
    assert held.status_code == 409 and "改派" in held.json()["message"]
    stopped = await client.post(
        f"/api/machinery/operators/{operator['id']}/active", headers=admin, json={"active": False}
    )
    assert stopped.status_code == 201 and stopped.json()["active"] is False
    listed = await client.get("/api/machinery/operators", headers=admin)
    assert [o["active"] for o in listed.json()] == [True, False]


async def test_machines_edited_with_the_checks_of_a_new_one(client, db, login_api) -> None:
    fleet = await make_fleet(db, machines=2)
    admin = await login_api(client, ADMIN_PHONE)
    body = {
        "kind": "玉米收割机",
        "model": "4YZ-4",
        "plate": "蒙D-00000",
        "daily_capacity": "70",
        "slope_factor_bp": 15000,
    }
    mid = fleet.machine_ids[1]
    for bad, field in (
        ({**body}, "plate"),
        ({**body, "plate": "蒙D-9", "daily_capacity": "0"}, "daily_capacity"),
        ({**body, "plate": "蒙D-9", "slope_factor_bp": 9000}, "slope_factor_bp"),
        ({**body, "plate": " "}, "plate"),
        ({**body, "plate": "蒙D-9", "kind": ""}, "kind"),
        ({**body, "plate": "蒙D-9", "asset_id": 2**31 - 1}, "asset_id"),
    ):
        refused = await client.patch(f"/api/machinery/machines/{mid}", headers=admin, json=bad)
        assert refused.status_code in (404, 409, 422) and _field(refused) == field, (bad, refused.text)
        again = await client.post("/api/machinery/machines", headers=admin, json=bad)
        assert again.status_code in (404, 409, 422) and _field(again) == field, (bad, again.text)
    assert [m.plate for m in await _rows(db, Machine, Machine.id == mid)] == ["蒙D-00001"]
    edited = await client.patch(f"/api/machinery/machines/{mid}", headers=admin, json={**body, "plate": "蒙D-A7"})
    assert edited.status_code == 200 and (edited.json()["plate"], edited.json()["daily_capacity"]) == (
        "蒙D-A7",
        "70.00",
    )
    off = await client.post(f"/api/machinery/machines/{mid}/active", headers=admin, json={"active": False})
    assert off.json()["active"] is False


async def test_setup_api_is_for_admins_of_their_own_cooperative(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    async with db.session() as s:  # a second cooperative with its own fleet manager
        other, _ = await make_cooperative(s, members=1, name="另一个合作社")
        boss = await create_user(s, phone=OTHER_ADMIN, password=PASSWORD, role="admin", display_name="李会计")
        s.add(Manager(user_id=boss.id, cooperative_id=other.id))  # type: ignore[arg-type]
        mine = ServiceType(cooperative_id=other.id, name="打捆", machine_kind="打捆机")  # type: ignore[arg-type]
        s.add(mine)
        await s.flush()
        mine_id = mine.id
    them = await login_api(client, OTHER_ADMIN)
    listed = await client.get("/api/machinery/services", headers=them)
    assert [s["name"] for s in listed.json()] == ["打捆"]
    assert (await client.get("/api/machinery/operators", headers=them)).json() == []
    price = {"service_type_id": fleet.harvest_id, "season": YEAR, "market_fen": 1}
    for method, url, body in (
        ("PATCH", f"/api/machinery/services/{fleet.harvest_id}", {"name": "改了"}),
        ("POST", f"/api/machinery/services/{fleet.harvest_id}/active", {"active": False}),
        ("PUT", "/api/machinery/prices", price),
        (
            "PATCH",
            f"/api/machinery/operators/{fleet.operator_ids[0]}",
            {"daily_capacity": "1", "wage_basis": "mu", "wage_rate_fen": 1},
        ),
        ("POST", f"/api/machinery/operators/{fleet.operator_ids[0]}/active", {"active": False}),
        (
            "PATCH",
            f"/api/machinery/machines/{fleet.machine_ids[0]}",
            {"kind": "x", "model": "x", "plate": "x", "daily_capacity": "1"},
        ),
        ("POST", f"/api/machinery/machines/{fleet.machine_ids[0]}/active", {"active": False}),
        (
            "POST",
            "/api/machinery/machines",
            {"kind": "x", "model": "x", "plate": "新", "daily_capacity": "1", "cooperative_id": fleet.cooperative_id},
        ),
        (
            "POST",
            "/api/machinery/operators",
            {
                "user_id": 1,
                "daily_capacity": "1",
                "wage_basis": "mu",
                "wage_rate_fen": 1,
                "cooperative_id": fleet.cooperative_id,
            },
        ),
    ):
        refused = await client.request(method, url, headers=them, json=body)
        assert refused.status_code in (403, 404), (url, refused.text)
    async with db.session() as s:
        harvest = await s.get(ServiceType, fleet.harvest_id)
        assert (harvest.name, harvest.active) == ("玉米收割", True)
        assert (await s.get(Operator, fleet.operator_ids[0])).active
        assert (await s.get(Machine, fleet.machine_ids[0])).plate == "蒙D-00000"
        assert (
            await s.scalar(
                select(SeasonPrice.market_fen).where(
                    SeasonPrice.service_type_id == fleet.harvest_id, SeasonPrice.season == YEAR
                )
            )
            == 8000
        )
        assert await s.scalar(select(func.count()).select_from(Machine)) == 1
    # the other admin works on their own cooperative
    assert (
        await client.patch(f"/api/machinery/services/{mine_id}", headers=them, json={"name": "秸秆打捆"})
    ).status_code == 200
    member = await login_api(client, MEMBER_PHONE)
    operator = await login_api(client, OPERATOR_PHONES[0])
    for who in (member, operator, {}):
        assert (await client.get("/api/machinery/services", headers=who)).status_code in (401, 403)
        assert (await client.put("/api/machinery/policy", headers=who, json={})).status_code in (400, 401, 403)


# ---------------------------------------------------------------------- the page


async def test_setup_page_sets_up_a_fleet(client, db, login_page) -> None:
    fleet = await make_fleet(db)
    await login_page(client, ADMIN_PHONE)
    page = await client.get("/machinery/setup")
    assert page.status_code == 200 and "农机设置" in page.text and "玉米收割" in page.text
    csrf = _csrf(client)

    async def send(url: str, form: dict) -> object:
        return await client.post(url, data={"season": str(YEAR), **form}, headers=csrf, follow_redirects=False)

    done = await send(
        "/machinery/setup/services", {"form_id": "services-new", "name": "播种", "machine_kind": "拖拉机"}
    )
    assert done.status_code == 303 and "saved=services-new" in done.headers["location"]
    assert "已保存" in (await client.get(done.headers["location"])).text
    sowing = (await _rows(db, ServiceType, ServiceType.name == "播种"))[0]
    done = await send(
        "/machinery/setup/prices",
        {
            "form_id": f"prices-{sowing.id}",
            "service_type_id": str(sowing.id),
            "market_fen": "45.50",
            "member_fen": "",
            "non_member_fen": "40",
        },
    )
    assert done.status_code == 303, done.text
    price = (await _rows(db, SeasonPrice, SeasonPrice.service_type_id == sowing.id))[0]
    assert (price.market_fen, price.member_fen, price.non_member_fen) == (4550, None, 4000)
    done = await send(
        "/machinery/setup/policy",
        {
            "form_id": "policy",
            "member_discount_fen": "20",
            "non_member_discount_fen": "5",
            "hardship_mode": "waive",
            "hardship_reduction_fen": "0",
            "max_area": "200",
        },
    )
    assert done.status_code == 303, done.text
    done = await send(
        "/machinery/setup/operators",
        {
            "form_id": "operators-new",
            "name": "其其格",
            "phone": "13922223333",
            "password": PASSWORD,
            "daily_capacity": "50",
            "wage_basis": "mu",
            "wage_rate_fen": "8",
        },
    )
    assert done.status_code == 303, done.text
    new_op = (await _rows(db, Operator, Operator.name == "其其格"))[0]
    assert (new_op.wage_basis, new_op.wage_rate_fen, new_op.daily_capacity) == ("mu", 800, 5000)
    done = await send(
        f"/machinery/setup/operators/{new_op.id}",
        {
            "form_id": f"operators-{new_op.id}",
            "name": "其其格",
            "daily_capacity": "55",
            "wage_basis": "day",
            "wage_rate_fen": "260",
            "machine_id": str(fleet.machine_ids[0]),
        },
    )
    assert done.status_code == 303, done.text
    done = await send(
        "/machinery/setup/machines",
        {
            "form_id": "machines-new",
            "kind": "播种机",
            "model": "2BYF",
            "plate": "BDL-06",
            "daily_capacity": "120",
            "slope_factor": "1.2",
        },
    )
    assert done.status_code == 303, done.text
    machine = (await _rows(db, Machine, Machine.plate == "BDL-06"))[0]
    assert (machine.daily_capacity, machine.slope_factor_bp) == (12000, 12000)
    done = await send(
        f"/machinery/setup/services/{fleet.plough_id}/active", {"form_id": f"services-active-{fleet.plough_id}"}
    )
    assert done.status_code == 303 and not (await _rows(db, ServiceType, ServiceType.id == fleet.plough_id))[0].active
    shown = await client.get("/machinery/setup")
    assert "其其格" in shown.text and "BDL-06" in shown.text and "已停办" in shown.text
    assert "13922223333" not in shown.text  # masked
    edited = (await _rows(db, Operator, Operator.id == new_op.id))[0]
    assert (edited.wage_basis, edited.wage_rate_fen, edited.machine_id) == ("day", 26000, fleet.machine_ids[0])


async def test_setup_page_refusals_at_the_field_nothing_changed(client, db, login_page) -> None:
    fleet = await make_fleet(db)
    await login_page(client, ADMIN_PHONE)
    csrf = _csrf(client)
    price = {
        "form_id": f"prices-{fleet.harvest_id}",
        "service_type_id": str(fleet.harvest_id),
        "season": str(YEAR),
        "market_fen": "80",
    }
    cases = [
        ("/machinery/setup/prices", {**price, "market_fen": "-1"}, "market_fen", "不能低于零"),
        ("/machinery/setup/prices", {**price, "member_fen": "90"}, "member_fen", "不能高于市场价"),
        ("/machinery/setup/prices", {**price, "market_fen": "abc"}, "market_fen", "金额"),
        ("/machinery/setup/prices", {**price, "market_fen": "20"}, "market_fen", "社员优惠"),
        (
            "/machinery/setup/policy",
            {
                "form_id": "policy",
                "member_discount_fen": "70",
                "non_member_discount_fen": "5",
                "hardship_mode": "reduce",
                "hardship_reduction_fen": "10",
                "max_area": "500",
            },
            "member_discount_fen",
            "优惠",
        ),
        (
            "/machinery/setup/services",
            {"form_id": "services-new", "name": "深翻", "machine_kind": "拖拉机"},
            "name",
            "已有",
        ),
        (
            "/machinery/setup/operators",
            {
                "form_id": "operators-new",
                "name": "某某",
                "phone": "13933334444",
                "password": PASSWORD,
                "daily_capacity": "50",
                "wage_basis": "mu",
                "wage_rate_fen": "-8",
            },
            "wage_rate_fen",
            "不能为负",
        ),
        (
            f"/machinery/setup/machines/{fleet.machine_ids[0]}",
            {
                "form_id": f"machines-{fleet.machine_ids[0]}",
                "kind": "玉米收割机",
                "plate": "蒙D-00000",
                "daily_capacity": "60",
                "slope_factor": "0.5",
            },
            "slope_factor",
            "1 至 5",
        ),
    ]
    for url, form, field, words in cases:
        page = await client.post(url, data=form, headers=csrf, follow_redirects=False)
        assert page.status_code in (409, 422), (url, form, page.text[:300])
        assert words in _at_field(page.text, field), (field, page.text)
        assert "农机设置" in page.text
        typed = form.get(field, "")
        if typed:
            assert f'value="{typed}"' in page.text, (field, typed)  # the input is kept
    async with db.session() as s:
        assert (
            await s.scalar(
                select(SeasonPrice.market_fen).where(
                    SeasonPrice.service_type_id == fleet.harvest_id, SeasonPrice.season == YEAR
                )
            )
            == 8000
        )
        assert await s.scalar(select(func.count()).select_from(PricingPolicy)) == 1
        assert (await s.scalar(select(PricingPolicy))).member_discount_fen == 3000
        assert await s.scalar(select(func.count()).select_from(Operator)) == 1
        assert (
            await s.scalar(select(func.count()).select_from(UserAccount).where(UserAccount.phone == "13933334444")) == 0
        )
        assert (await s.get(Machine, fleet.machine_ids[0])).slope_factor_bp == 15000


async def test_setup_page_is_for_admins_only(client, db, login_page) -> None:
    await make_fleet(db)
    await login_page(client, MEMBER_PHONE)
    assert (await client.get("/machinery/setup")).status_code == 403
    await login_page(client, OPERATOR_PHONES[0])
    assert (await client.get("/machinery/setup")).status_code == 403


async def test_cli_ties_an_admin_to_one_cooperative(client, db, login_api, database_url) -> None:
    from tests.cli import caoyuan_async as _run

    fleet = await make_fleet(db)
    async with db.session() as s:
        other, _ = await make_cooperative(s, members=1, name="另一个合作社")
        await create_user(s, phone=OTHER_ADMIN, password=PASSWORD, role="admin", display_name="李会计")
        other_id = other.id
    them = await login_api(client, OTHER_ADMIN)
    assert len((await client.get("/api/machinery/services", headers=them)).json()) == 2  # the install's admin
    code, out = await _run(
        "machinery", "manager", "--phone", MEMBER_PHONE, "--cooperative", str(other_id), url=database_url
    )
    assert code != 0 and "不是管理员" in out
    code, out = await _run(
        "machinery", "manager", "--phone", OTHER_ADMIN, "--cooperative", str(other_id), url=database_url
    )
    assert code == 0, out
    assert (await client.get("/api/machinery/services", headers=them)).json() == []
    renamed = await client.patch(f"/api/machinery/services/{fleet.harvest_id}", headers=them, json={"name": "改了"})
    assert renamed.status_code == 404


async def test_a_fleet_manager_cannot_read_pay_or_move_another_cooperatives_booking(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    member = await login_api(client, MEMBER_PHONE)
    made = await client.post(
        "/api/machinery/bookings", headers=member, json=booking_body(fleet, plot("5"), day=str(day(1)))
    )
    bid = made.json()["id"]
    operator = await login_api(client, OPERATOR_PHONES[0])
    assert (
        await client.post(f"/api/machinery/bookings/{bid}/complete", headers=operator, json={"measured_area": "5"})
    ).status_code == 201
    async with db.session() as s:
        other, _ = await make_cooperative(s, members=1, name="另一个合作社")
        boss = await create_user(s, phone=OTHER_ADMIN, password=PASSWORD, role="admin", display_name="李会计")
        s.add(Manager(user_id=boss.id, cooperative_id=other.id))  # type: ignore[arg-type]
    them = await login_api(client, OTHER_ADMIN)
    assert (await client.get(f"/api/machinery/bookings/{bid}", headers=them)).status_code == 403
    assert (await client.get("/api/machinery/bookings", headers=them)).json() == []
    paid = await client.post(f"/api/machinery/bookings/{bid}/pay", headers=them, json={"channel": "cash"})
    assert paid.status_code == 403 and "其他合作社" in paid.json()["message"]
    moved = await client.post(
        f"/api/machinery/bookings/{bid}/schedule",
        headers=them,
        json={"day": str(day(2)), "operator_id": fleet.operator_ids[0], "machine_id": fleet.machine_ids[0]},
    )
    assert moved.status_code == 403
    async with db.session() as s:
        booking = await s.get(Booking, bid)
        assert (booking.status, booking.scheduled_on) == ("completed", day(1))
    own_admin = await login_api(client, ADMIN_PHONE)  # the install's admin still works
    assert (
        await client.post(f"/api/machinery/bookings/{bid}/pay", headers=own_admin, json={"channel": "cash"})
    ).status_code == 201
