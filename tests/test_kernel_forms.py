"""Typed page forms: a refusal names its field in Chinese; the page keeps what was typed after a rollback."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
import pytest
from sqlalchemy import text

from caoyuan.bounds import Id, require_day_in_range
from caoyuan.errors import BadInput
from caoyuan.web.forms import parse_form, refused_form


class HarvestForm(msgspec.Struct):
    service_type_id: Id
    farmer_name: Annotated[str, msgspec.Meta(max_length=8)] = ""
    earliest_on: date | None = None

    def __post_init__(self) -> None:
        require_day_in_range(self.earliest_on, "最早日期")


def test_blank_fields_take_defaults_and_text_is_stripped() -> None:
    form = parse_form({"service_type_id": " 3 ", "farmer_name": "  ", "earliest_on": "2026-10-01"}, HarvestForm)
    assert form == HarvestForm(service_type_id=3, farmer_name="", earliest_on=date(2026, 10, 1))


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({}, "service_type_id", "请填写此项"),
        ({"service_type_id": "abc"}, "service_type_id", "请填写整数"),
        ({"service_type_id": "9223372036854775808"}, "service_type_id", "不能大于 2147483647"),
        ({"service_type_id": "0"}, "service_type_id", "不能小于 1"),
        ({"service_type_id": "1", "farmer_name": "张" * 9}, "farmer_name", "最多 8 个字"),
        ({"service_type_id": "1", "earliest_on": "2026-13-01"}, "earliest_on", "日期格式应为 年-月-日"),
    ],
)
def test_refusals_name_their_field_in_chinese(raw: dict, field: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_form(raw, HarvestForm)
    assert (caught.value.field, caught.value.message) == (field, message)


def test_a_refusal_from_post_init_keeps_its_own_message() -> None:
    with pytest.raises(BadInput) as caught:
        parse_form({"service_type_id": "1", "earliest_on": "9999-12-31"}, HarvestForm)
    assert "2000-01-01" in caught.value.message


async def test_refused_form_rolls_back_and_keeps_the_input(db) -> None:  # type: ignore[no-untyped-def]
    async with db.session() as session:
        await session.execute(text("CREATE TEMPORARY TABLE IF NOT EXISTS scratch (v INTEGER)"))
        await session.commit()
        await session.execute(text("INSERT INTO scratch (v) VALUES (1)"))
        seen: list[int] = []

        async def context() -> dict:
            seen.append((await session.execute(text("SELECT count(*) FROM scratch"))).scalar_one())
            return {"title": "预约"}

        page = await refused_form(
            session,
            BadInput("面积须大于 0", field="area0"),
            "machinery/book.html",
            {"area0": "-1", "farmer_name": "张三"},
            context,
        )
    assert seen == [0], "the context is built after the rollback"
    assert page.status_code == 422
    assert page.context["form"] == {"area0": "-1", "farmer_name": "张三"}
    assert page.context["errors"] == {"area0": "面积须大于 0"}
