"""统一社会信用代码 (GB 32100-2015): the 18-character code on a cooperative's business licence.

The standard's alphabet is the ten digits and the capital letters without I, O, Z, S and V (31 characters,
so each character has a value 0–30). Characters 1–17 are weighted by 3 to the power of their position
(counting from 0) modulo 31; the 18th is the character whose value makes the weighted sum a multiple of 31.
Characters 3–8 are the administrative division code, so they are digits.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
LENGTH = 18


class CreditCodeError(ValueError):
    pass


def check_character(first17: str) -> str:
    """The 18th character for the first 17 (which must already be in the alphabet)."""
    total = sum(VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize(raw: str) -> str:
    """An upper-cased, space-free code, refused with a Chinese message unless the check character agrees."""
    code = "".join(raw.split()).upper()
    if len(code) != LENGTH:
        raise CreditCodeError(f"统一社会信用代码应为 18 位（现在是 {len(code)} 位）")
    wrong = sorted({c for c in code if c not in VALUE})
    if wrong:
        raise CreditCodeError(f"统一社会信用代码不能含有「{''.join(wrong)}」（不用 I、O、Z、S、V 和符号）")
    if not code[2:8].isdigit():
        raise CreditCodeError("统一社会信用代码第 3–8 位是行政区划代码，应为数字")
    if check_character(code[:17]) != code[17]:
        raise CreditCodeError("统一社会信用代码校验位不对，请对照营业执照逐位核对")
    return code
