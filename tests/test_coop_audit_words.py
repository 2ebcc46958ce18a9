"""The audit page shows each detail with its Chinese field name and its value in words (issue 10)."""

from __future__ import annotations

from coop.rules.audit_words import FIELD_LABELS, readable
from coop.rules.charter import Terms


def test_every_charter_field_has_a_chinese_name() -> None:
    # a charter version logs every Terms field: none may reach the page by its raw name
    missing = [name for name in Terms.__dataclass_fields__ if name not in FIELD_LABELS]
    assert missing == []


def test_values_read_as_words() -> None:
    shown = dict(
        readable(
            {
                "kind": "shareholding",
                "reserve_rate_bp": 1000,
                "share_price_fen": 10000,
                "redemption_allowed": False,
                "role": "operator",
                "member_no": None,
                "via": "setup_link",
            }
        )
    )
    assert shown == {
        "类型": "股份经济合作社",
        "公积金比例": "10%",
        "每股金额": "¥100.00",
        "允许退股": "否",
        "角色": "农机手",
        "社员号": "—",
        "方式": "一次性设置链接",
    }


async def test_the_audit_page_names_fields_in_chinese(client, make_user, login_page) -> None:  # type: ignore[no-untyped-def]
    from tests.factories.coop import FORM

    admin = await make_user("admin")
    await login_page(client, admin.phone)
    headers = {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}
    made = await client.post("/coop/setup/", data=FORM, headers=headers, follow_redirects=False)
    assert made.status_code == 303, made.text
    page = await client.get("/coop/1/audit/")
    assert "<dt>统一社会信用代码</dt>" in page.text and "<dt>公积金比例</dt><dd>10%</dd>" in page.text
    assert "credit_code" not in page.text and "reserve_rate_bp" not in page.text


async def test_registering_an_asset_is_in_the_audit_log(client, make_user, login_page) -> None:  # type: ignore[no-untyped-def]
    from tests.factories.coop import FORM

    admin = await make_user("admin")
    await login_page(client, admin.phone)
    headers = {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}
    assert (await client.post("/coop/setup/", data=FORM, headers=headers, follow_redirects=False)).status_code == 303
    asset = {
        "name": "约翰迪尔收割机",
        "cost": "286000",
        "purchased_on": "2026-03-01",
        "funding_source": "special_fund",
        "insurance_policy": "PICC-2026-001",
        "insurance_expires_on": "2027-02-28",
    }
    made = await client.post("/coop/1/assets", data=asset, headers=headers, follow_redirects=False)
    assert made.status_code in (200, 303), made.text
    page = await client.get("/coop/1/audit/")
    assert "登记固定资产" in page.text and "约翰迪尔收割机" in page.text
    assert "<dt>原值</dt><dd>¥286,000.00</dd>" in page.text and "专项基金" in page.text
    assert "cost_fen" not in page.text and "funding_source" not in page.text
