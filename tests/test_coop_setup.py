"""Founding a cooperative (issue 10, item 1): the credit code's check character, the page and the API
create the cooperative and its first charter, and a duplicate name or credit code changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from caoyuan.errors import BadInput
from coop.models import Charter, Cooperative
from coop.rules.credit_code import ALPHABET, CreditCodeError, normalize
from coop.services.founding import Founding, checked
from tests.factories.coop import CODE, FORM, OTHER


def test_check_character_matches_published_licences() -> None:
    # codes printed on real business licences (companies' public registrations)
    for code in ("9144030071526726XG", "91330100716105852F"):
        assert normalize(code) == code


def test_every_single_character_slip_is_caught() -> None:
    for i in range(18):
        for c in ALPHABET:
            if c == CODE[i] or (2 <= i < 8 and not c.isdigit()):
                continue
            with pytest.raises(CreditCodeError):
                normalize(CODE[:i] + c + CODE[i + 1 :])


@pytest.mark.parametrize(
    ("raw", "words"),
    [("9315042", "18 位"), (CODE[:17] + "I", "不能含有「I」"), ("93AB0426MA0N0X0K1" + "0", "行政区划")],
)
def test_wrong_codes_say_why(raw: str, words: str) -> None:
    with pytest.raises(CreditCodeError, match=words):
        normalize(raw)


def test_lower_case_and_spaces_are_tidied() -> None:
    assert normalize(" " + CODE[:9].lower() + " " + CODE[9:] + " ") == CODE


def _founding(**changes: object) -> Founding:
    values: dict = dict(
        name="白音套海嘎查农牧业专业合作社",
        kind="farmer",
        banner="翁牛特旗",
        village="白音套海嘎查",
        credit_code=CODE,
        registered_on=date(2019, 3, 12),
        legal_representative="包金山",
        town="乌丹镇",
    )
    values.update(changes)
    return Founding(**values)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"kind": "company"}, "kind"),
        ({"credit_code": CODE[:17] + ("0" if CODE[17] != "0" else "1")}, "credit_code"),
        ({"registered_on": date(2099, 1, 1)}, "registered_on"),
        ({"registered_on": date(1990, 1, 1)}, "registered_on"),
        ({"legal_representative": ""}, "legal_representative"),
        ({"village": "村" * 51}, "village"),
    ],
)
def test_the_licence_is_refused_at_its_field(changes: dict, field: str) -> None:
    with pytest.raises(BadInput) as refused:
        checked(_founding(**changes))
    assert refused.value.field == field


def _csrf(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}


async def _counts(db) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        return (
            await s.scalar(select(func.count()).select_from(Cooperative)),
            await s.scalar(select(func.count()).select_from(Charter)),
        )


async def test_first_admin_lands_on_setup_and_founds_through_the_page(client, db, make_user, login_page) -> None:
    await make_user("admin", phone="13700000021")
    await login_page(client, "13700000021")
    home = await client.get("/", follow_redirects=True)
    assert home.url.path == "/coop/setup/" and "还没有合作社" in home.text
    # the law's limits are explained next to the charter's fields
    assert "合作社法第四十四条" in home.text and "不超过总股本的 30%" in home.text
    made = await client.post("/coop/setup/", data=FORM, headers=_csrf(client), follow_redirects=False)
    assert made.status_code == 303, made.text
    assert made.headers["location"].startswith("/coop/") and "/members?done=" in made.headers["location"]
    async with db.session() as s:
        coop = await s.scalar(select(Cooperative))
        charter = await s.scalar(select(Charter))
    assert coop is not None and charter is not None
    assert (coop.credit_code, coop.legal_representative, coop.founded_on) == (CODE, "包金山", date(2019, 3, 12))
    assert (charter.cooperative_id, charter.effective_on, charter.policy) == (coop.id, date(2019, 3, 12), "farmer")
    assert (charter.share_price_fen, charter.land_value_per_mu_fen, charter.labour_value_per_day_fen) == (
        100_00,
        1000_00,
        150_00,
    )
    overview = await client.get("/coop/")
    assert overview.status_code == 200 and coop.name in overview.text


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"credit_code": OTHER}, "name", "已有名为"),
        ({"name": "另一个合作社"}, "credit_code", "已登记过"),
        ({"name": "另一个合作社", "credit_code": OTHER, "patronage_rate": "50"}, "patronage_rate", "60%"),
        ({"name": "另一个合作社", "credit_code": OTHER[:17] + "?"}, "credit_code", "不能含有"),
        ({"name": "另一个合作社", "credit_code": OTHER, "registered_on": "2019-02-30"}, "registered_on", "2025-12-31"),
    ],
)
async def test_a_refused_founding_says_so_at_the_field_and_writes_nothing(
    client, db, make_user, login_page, changes, field, words
) -> None:
    await make_user("admin", phone="13700000022")
    await login_page(client, "13700000022")
    await client.get("/coop/setup/")
    first = await client.post("/coop/setup/", data=FORM, headers=_csrf(client), follow_redirects=False)
    assert first.status_code == 303
    before = await _counts(db)
    refused = await client.post("/coop/setup/", data={**FORM, **changes}, headers=_csrf(client))
    assert refused.status_code in (409, 422)
    assert f'id="{field}-error"' in refused.text and words in refused.text
    assert await _counts(db) == before


async def test_the_api_founds_a_shareholding_cooperative(client, db, make_user, login_api) -> None:
    await make_user("admin", phone="13700000023")
    await make_user("member", phone="13700000024")
    headers = await login_api(client, "13700000023")
    body = {
        "name": "白音套海嘎查股份经济合作社",
        "kind": "shareholding",
        "banner": "翁牛特旗",
        "village": "白音套海嘎查",
        "credit_code": OTHER,
        "registered_on": "2020-06-01",
        "legal_representative": "乌云",
        "charter": {
            "effective_on": "2020-06-01",
            "share_price_fen": 1000_00,
            "land_value_per_mu_fen": 800_00,
            "labour_value_per_day_fen": 120_00,
            "reserve_rate_bp": 1500,
            "policy": "shareholding",
            "patronage_rate_bp": 0,
            "live_sale_commission_bp": 300,
            "member_share_bp": 8000,
            "collective_share_bp": 2000,
        },
    }
    member = await login_api(client, "13700000024")
    assert (await client.post("/api/coop/", json=body, headers=member)).status_code == 403
    made = await client.post("/api/coop/", json=body, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["credit_code"] == OTHER and made.json()["kind"] == "shareholding"
    again = await client.post("/api/coop/", json={**body, "name": "别的名字"}, headers=headers)
    assert again.status_code == 409 and again.json()["fields"][0]["field"] == "credit_code"
    too_many = {
        **body,
        "name": "第三个",
        "credit_code": CODE,
        "charter": {**body["charter"], "collective_share_bp": 4000, "member_share_bp": 6000},
    }
    refused = await client.post("/api/coop/", json=too_many, headers=headers)
    assert refused.status_code in (400, 422) and refused.json()["fields"][0]["field"] == "collective_share_bp"
    assert await _counts(db) == (1, 1)
