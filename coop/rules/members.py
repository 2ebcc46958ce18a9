"""Member rules: status transitions (成员身份认定) and reading one row of a member list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from caoyuan.bounds import DAY_MAX, DAY_MIN, day_in_range
from caoyuan.identity import IdentityError, normalize_id_number, normalize_phone

# column headers accepted on import (Chinese first, as the village keeps its lists)
HEADERS = {
    "member_no": ("社员号", "成员编号", "编号", "member_no"),
    "name": ("姓名", "户主姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "id_number"),
    "phone": ("手机号", "电话", "phone"),
    "village": ("嘎查村", "嘎查/村", "村", "嘎查", "village"),
    "group_name": ("村民小组", "小组", "group", "group_name"),
    "household_size": ("家庭人口", "人口", "household_size"),
    "hardship": ("困难户", "hardship"),
    "joined_on": ("入社日期", "加入日期", "joined_on"),
}
EXPORT_COLUMNS = (
    "社员号",
    "姓名",
    "身份证号",
    "手机号",
    "嘎查村",
    "村民小组",
    "家庭人口",
    "困难户",
    "入社日期",
    "状态",
)
YES = {"是", "y", "yes", "true", "1", "困难户", "✓"}
NO = {"", "否", "n", "no", "false", "0"}


HOUSEHOLD_MIN, HOUSEHOLD_MAX = 1, 30  # people in one household
TEXT_MAX = 50  # name, 嘎查村 and 村民小组 columns
MEMBER_NO_MAX = 999_999


class RowError(ValueError):
    """A member's details that cannot be admitted; ``field`` names the form field or column."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class MemberDraft:
    member_no: int | None
    name: str
    id_number: str
    phone: str
    village: str
    group_name: str
    household_size: int
    hardship: bool
    joined_on: date | None


def make_draft(
    member_no: int | None,
    name: str,
    id_number: str,
    phone: str,
    village: str,
    group_name: str,
    household_size: int,
    hardship: bool,
    joined_on: date | None,
) -> MemberDraft:
    """The one member rule, for the page, the API and the import alike: normalised, checked, or RowError."""
    name, village, group_name = name.strip(), village.strip(), group_name.strip()
    if not name or len(name) > TEXT_MAX:
        raise RowError(f"姓名不能为空，且不超过 {TEXT_MAX} 个字", "name")
    try:
        id_number = normalize_id_number(id_number)
    except IdentityError as exc:
        raise RowError(str(exc), "id_number") from None
    try:
        phone = normalize_phone(phone) if phone.strip() else ""
    except IdentityError as exc:
        raise RowError(str(exc), "phone") from None
    if not village or len(village) > TEXT_MAX:
        raise RowError(f"嘎查/村不能为空，且不超过 {TEXT_MAX} 个字", "village")
    if len(group_name) > TEXT_MAX:
        raise RowError(f"村民小组不超过 {TEXT_MAX} 个字", "group_name")
    if member_no is not None and not 1 <= member_no <= MEMBER_NO_MAX:
        raise RowError(f"社员号应为 1 到 {MEMBER_NO_MAX} 的整数", "member_no")
    if not HOUSEHOLD_MIN <= household_size <= HOUSEHOLD_MAX:
        raise RowError(f"家庭人口应为 {HOUSEHOLD_MIN} 到 {HOUSEHOLD_MAX} 的整数", "household_size")
    if joined_on is not None and not day_in_range(joined_on):
        raise RowError(f"入社日期须在 {DAY_MIN} 至 {DAY_MAX} 之间", "joined_on")
    return MemberDraft(member_no, name, id_number, phone, village, group_name, household_size, hardship, joined_on)


def column_map(header: list[str]) -> dict[str, int]:
    """Which column holds which field; raises RowError naming a missing required column."""
    cleaned = [str(h or "").strip() for h in header]
    found: dict[str, int] = {}
    for field, names in HEADERS.items():
        for i, h in enumerate(cleaned):
            if h in names or h.lower() in names:
                found[field] = i
                break
    missing = [HEADERS[f][0] for f in ("name", "id_number", "village") if f not in found]
    if missing:
        raise RowError(f"表头缺少：{'、'.join(missing)}")
    return found


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RowError(f"入社日期「{text}」应写成 2020-04-15") from None


def parse_row(cells: list[object], columns: dict[str, int]) -> MemberDraft:
    """One row → a MemberDraft, or RowError with a reason a person can fix."""

    def get(field: str) -> object:
        i = columns.get(field)
        return cells[i] if i is not None and i < len(cells) else None

    no_text, size_text = _text(get("member_no")), _text(get("household_size")) or "1"
    if no_text and not (no_text.isdigit() and len(no_text) <= 9):
        raise RowError(f"社员号「{no_text[:20]}」应为 1 到 {MEMBER_NO_MAX} 的整数")
    if not (size_text.isdigit() and len(size_text) <= 3):
        raise RowError(f"家庭人口「{size_text[:20]}」应为 {HOUSEHOLD_MIN} 到 {HOUSEHOLD_MAX} 的整数")
    hardship_text = _text(get("hardship")).lower()
    if hardship_text not in YES | NO:
        raise RowError(f"困难户一栏请填「是」或「否」，不是「{hardship_text[:20]}」")
    return make_draft(
        int(no_text) if no_text else None,
        _text(get("name")),
        _text(get("id_number")),
        _text(get("phone")),
        _text(get("village")),
        _text(get("group_name")),
        int(size_text),
        hardship_text in YES,
        _date(get("joined_on")),
    )
