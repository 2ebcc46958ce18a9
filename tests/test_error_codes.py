"""Every error code is an enum member with a Chinese meaning, listed at /schema; none is a bare string."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from caoyuan.domains import installed_domains
from caoyuan.errors import Conflict, KernelCode
from coop.errors import CoopCode
from coop.machinery.errors import MachineryCode
from storefront.errors import ShopCode
from streaming.errors import LiveCode

ROOT = Path(__file__).resolve().parent.parent
BARE = re.compile(r"""\bcode\s*=\s*["'][a-z_]+["']""")


def test_every_code_has_a_meaning_and_domains_name_their_codes() -> None:
    for enum in (KernelCode, CoopCode, MachineryCode, ShopCode, LiveCode):
        assert all(member.meaning for member in enum), enum
    named = {codes for domain in installed_domains() for codes in domain.error_codes}
    assert {CoopCode, MachineryCode, ShopCode, LiveCode} <= named


def test_a_code_is_sent_as_its_plain_value() -> None:
    error = Conflict("已售罄", code=ShopCode.SOLD_OUT)
    assert error.code == "sold_out" and f"{error.code}" == "sold_out"


def test_no_error_code_is_a_bare_string_in_the_code() -> None:
    offenders = []
    for folder in ("src/caoyuan", "coop", "storefront", "streaming"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts or path.name == "errors.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if BARE.search(line) and "status_code" not in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_schema_lists_every_code_with_its_meaning(client) -> None:  # type: ignore[no-untyped-def]
    description = (await client.get("/schema/openapi.json")).json()["info"]["description"]
    for enum in (KernelCode, CoopCode, MachineryCode, ShopCode, LiveCode):
        for member in enum:
            assert f"| `{member.value}` | {enum.__name__} | {member.meaning} |" in description
