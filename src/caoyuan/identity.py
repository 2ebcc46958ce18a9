"""Mainland mobile numbers and resident ID numbers: validation and masking for pages and logs."""

from __future__ import annotations

import re

_PHONE = re.compile(r"^1[3-9]\d{9}$")
_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_IN_TEXT = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ELEVEN_DIGITS = re.compile(r"\d{11}")


class IdentityError(ValueError):
    pass


def normalize_phone(text: str) -> str:
    """Accept '138 0000 0000', '+86 13800000000'; return '13800000000' or raise."""
    digits = re.sub(r"[\s-]", "", str(text or ""))
    digits = digits.removeprefix("+86").removeprefix("0086")
    if not _PHONE.match(digits):
        raise IdentityError("请输入 11 位中国大陆手机号，例如 13800000000")
    return digits


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else "***"


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def example_id_number(seq: int, birth: str = "19800101", region: str = "150426") -> str:
    """A made-up resident ID number that passes the check digit (demo households, tests): region, birth, seq."""
    first17 = f"{region}{birth}{seq % 1000:03d}"
    return first17 + id_check_char(first17)


def normalize_id_number(text: str) -> str:
    """Validate an 18-digit resident ID (GB 11643 check digit); return it upper-cased."""
    value = str(text or "").strip().upper()
    if not _ID18.match(value):
        raise IdentityError("身份证号应为 18 位（最后一位可以是 X）")
    if id_check_char(value[:17]) != value[17]:
        raise IdentityError("身份证号校验位不正确，请核对")
    return value


def mask_id_number(value: str) -> str:
    """'150102199001011234' → '150102********1234'."""
    return value[:6] + "*" * 8 + value[-4:] if len(value) == 18 else "******"


def mask_name(name: str) -> str:
    """'张三丰' → '张**' (buyers shown to hosts)."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else "*"


def scrub(text: str) -> str:
    """Mask ID numbers and phone numbers inside free text (log lines, paths)."""
    if not _ELEVEN_DIGITS.search(text):  # both need 11 digits in a row: most paths have none (one scan, not two)
        return text
    text = _ID_IN_TEXT.sub(lambda m: m.group(1) + "********" + m.group(2), text)
    return _PHONE_IN_TEXT.sub(lambda m: m.group(1) + "****" + m.group(2), text)
