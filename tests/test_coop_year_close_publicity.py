"""The printed 公示表 carries its period, a phone for objections, signature lines and a seal box, on the page
and in the spreadsheet; a bad period or phone is refused at its box (the page keeps the defaults)."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from coop.rules.reports import PublicityError, publicity_footer, publicity_notice
from tests.factories.coop import posted_2025 as _post_2025
from tests.factories.coop import trading_year_2025 as _year_2025


def test_notice_defaults_to_seven_days_and_bounds_its_values() -> None:
    notice = publicity_notice(date(2026, 1, 12), None, None, "")
    assert (notice.start, notice.end, notice.days) == (date(2026, 1, 12), date(2026, 1, 18), 7)
    assert "________________" in publicity_footer(notice)[1]  # no phone: a line to write it on
    for start, end, phone, field in (
        (date(2026, 1, 12), date(2026, 1, 11), "", "publicity_end"),
        (date(2026, 1, 1), date(2026, 6, 1), "", "publicity_end"),
        (None, None, "=HYPERLINK(1)", "phone"),
        (None, None, "123", "phone"),
        (date(9999, 12, 31), None, "", "publicity_start"),
    ):
        with pytest.raises(PublicityError) as refused:
            publicity_notice(date(2026, 1, 12), start, end, phone)
        assert refused.value.field == field


async def test_page_and_sheet_carry_period_phone_signatures_and_seal(client, db, make_user, login_page) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13800000097")
    coop_id, _ = await _year_2025(db)
    did = await _post_2025(db, coop_id)
    await login_page(client, "13800000097")
    q = {"publicity_start": "2026-01-12", "publicity_end": "2026-01-21", "phone": "0476-8812345"}
    page = await client.get(f"/coop/distributions/{did}/publicity", params=q)
    text = page.text
    assert "公示期：2026 年 1 月 12 日至2026 年 1 月 21 日（共 10 天）" in text and "0476-8812345" in text
    assert "理事长（签字）" in text and "监事（签字）" in text and 'class="seal-box"' in text
    bad = await client.get(f"/coop/distributions/{did}/publicity", params={**q, "publicity_end": "2026-01-01"})
    assert bad.status_code == 200 and 'id="publicity_end-error"' in bad.text and "（共 7 天）" in bad.text
    sheet = await client.get(f"/coop/distributions/{did}/publicity.xlsx", params=q)
    cells = [c for row in load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True) for c in row if c]
    assert "公示期：2026 年 1 月 12 日至2026 年 1 月 21 日（共 10 天）" in cells
    assert any("0476-8812345" in str(c) for c in cells) and any("理事长（签字）" in str(c) for c in cells)
    refused = await client.get(f"/coop/distributions/{did}/publicity.xlsx", params={**q, "phone": "abc"})
    assert refused.status_code == 422
