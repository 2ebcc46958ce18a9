"""Issue 15 item 2: a charter that would break the law for its kind of cooperative is refused, in Chinese,
at the field (422 with the field on the API; the message under the input on the page)."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop.models import CoopKind
from coop.rules.charter import COLLECTIVE_MAX_BP, CharterError, Terms, validate
from tests.factories.coop import make_cooperative

SHAREHOLDING = Terms(policy="shareholding", patronage_rate_bp=0, reserve_rate_bp=1500)


@given(st.integers(0, 10000), st.integers(0, 10000), st.booleans(), st.integers(0, 10000))
def test_a_shareholding_charter_passes_only_within_the_limits(collective, reserve, split, development) -> None:  # type: ignore[no-untyped-def]
    terms = replace(
        SHAREHOLDING,
        collective_share_bp=collective,
        member_share_bp=10000 - collective,
        reserve_rate_bp=reserve,
        split_machinery_pool=split,
        machinery_development_bp=development,
    )
    lawful = collective <= COLLECTIVE_MAX_BP and 500 <= reserve <= 5000 and (not split or 0 < development < 10000)
    try:
        validate(terms, "shareholding")
    except CharterError as exc:
        assert not lawful
        assert exc.field in {"collective_share_bp", "reserve_rate_bp", "machinery_development_bp"}
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc))  # a Chinese message
    else:
        assert lawful


@pytest.mark.parametrize(
    ("kind", "terms", "field"),
    [
        ("shareholding", Terms(), "policy"),  # a farmers'-cooperative policy on a 股份经济合作社
        ("farmer", SHAREHOLDING, "policy"),
        ("shareholding", replace(SHAREHOLDING, collective_share_bp=10000, member_share_bp=0), "collective_share_bp"),
        ("shareholding", replace(SHAREHOLDING, reserve_rate_bp=0), "reserve_rate_bp"),
        ("shareholding", replace(SHAREHOLDING, reserve_rate_bp=10000), "reserve_rate_bp"),
        ("farmer", Terms(reserve_rate_bp=10000), "reserve_rate_bp"),
        ("farmer", Terms(collective_share_bp=1000, member_share_bp=9000), "collective_share_bp"),
        (
            "shareholding",
            replace(SHAREHOLDING, split_machinery_pool=True, machinery_development_bp=0),
            "machinery_development_bp",
        ),
        (
            "shareholding",
            replace(SHAREHOLDING, split_machinery_pool=True, machinery_development_bp=10000),
            "machinery_development_bp",
        ),
    ],
)
def test_terms_outside_the_law_are_refused_at_their_field(kind, terms, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CharterError) as refused:
        validate(terms, kind)
    assert refused.value.field == field


def test_lawful_charters_of_both_kinds_pass() -> None:
    validate(Terms(reserve_rate_bp=0), "farmer")  # art. 42: the reserve "may" be drawn
    validate(
        replace(SHAREHOLDING, collective_share_bp=3000, member_share_bp=7000, split_machinery_pool=True), "shareholding"
    )


async def test_the_api_and_the_page_refuse_at_the_field(client, db, make_user, login_api, login_page) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13800001501")
    async with db.session() as s:
        coop, _ = await make_cooperative(s, members=2, kind=CoopKind.SHAREHOLDING)
    h = await login_api(client, "13800001501")
    body = {
        "effective_on": "2025-01-01",
        "share_price_fen": 100_00,
        "land_value_per_mu_fen": 1000_00,
        "labour_value_per_day_fen": 150_00,
        "reserve_rate_bp": 1500,
        "policy": "farmer",
        "patronage_rate_bp": 6000,
        "live_sale_commission_bp": 300,
    }
    refused = await client.post(f"/api/coop/{coop.id}/charters", json=body, headers=h)
    assert refused.status_code == 422 and refused.json()["fields"][0]["field"] == "policy"
    body |= {"policy": "shareholding", "collective_share_bp": 10000, "member_share_bp": 0}
    refused = await client.post(f"/api/coop/{coop.id}/charters", json=body, headers=h)
    assert refused.status_code == 422 and refused.json()["fields"][0]["field"] == "collective_share_bp"
    assert "30%" in refused.json()["message"]
    body |= {"collective_share_bp": 2000, "member_share_bp": 8000}
    assert (await client.post(f"/api/coop/{coop.id}/charters", json=body, headers=h)).status_code == 201

    await login_page(client, "13800001501")
    page = await client.get(f"/coop/{coop.id}/charter")
    assert "以成员股为主" in page.text and "5%–50%" in page.text
    form = {
        "effective_on": "2026-01-01",
        "policy": "shareholding",
        "share_price": "100",
        "land_value_per_mu": "1000",
        "labour_value_per_day": "150",
        "reserve_rate": "0",
        "patronage_rate": "0",
        "commission": "3",
        "machinery_development": "60",
        "collective_share": "0",
        "redemption_lock_months": "12",
    }
    csrf = {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}
    refused_page = await client.post(f"/coop/{coop.id}/charter", data=form, headers=csrf)
    assert refused_page.status_code == 422
    assert 'id="reserve_rate-error"' in refused_page.text and "公积公益金比例应在 5% 到 50% 之间" in refused_page.text
