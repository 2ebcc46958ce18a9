import pytest
from hypothesis import given
from hypothesis import strategies as st

from caoyuan.area import AreaError, format_mu, parse_mu
from caoyuan.identity import (
    IdentityError,
    id_check_char,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    normalize_phone,
    scrub,
)


@pytest.mark.parametrize(("text", "hundredths"), [("11", 1100), ("3.25", 325), ("0.5亩", 50), (" 20.00 ", 2000)])
def test_parse_mu(text: str, hundredths: int) -> None:
    assert parse_mu(text) == hundredths


@pytest.mark.parametrize("text", ["-1", "1.234", "abc", "", "1e2"])
def test_parse_mu_rejects(text: str) -> None:
    with pytest.raises(AreaError):
        parse_mu(text)


@given(st.integers(min_value=0, max_value=10**9))
def test_mu_round_trip(hundredths: int) -> None:
    assert parse_mu(format_mu(hundredths).replace(",", "")) == hundredths


@pytest.mark.parametrize("raw", ["13800000000", "138 0000 0000", "+8613800000000", "138-0000-0000"])
def test_phone_accepts(raw: str) -> None:
    assert normalize_phone(raw) == "13800000000"


@pytest.mark.parametrize("raw", ["12800000000", "1380000000", "138000000001", "abc", ""])
def test_phone_rejects(raw: str) -> None:
    with pytest.raises(IdentityError):
        normalize_phone(raw)


def test_id_number_checksum() -> None:
    good = "11010519491231002X"  # the standard's worked example
    assert normalize_id_number(good.lower()) == good
    with pytest.raises(IdentityError):
        normalize_id_number("110105194912310021")
    with pytest.raises(IdentityError):
        normalize_id_number("11010519491231002")


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_every_computed_check_digit_validates(first17: str) -> None:
    assert normalize_id_number(first17 + id_check_char(first17)) == first17 + id_check_char(first17)


def test_masking() -> None:
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_phone("13800001234") == "138****1234"
    line = "GET /x/11010519491231002X?p=13800001234"
    assert scrub(line) == "GET /x/110105********002X?p=138****1234"
    assert scrub("GET /api/live/sessions/2/orders?n=1380000123") == "GET /api/live/sessions/2/orders?n=1380000123"
    assert scrub("phone:13800001234;") == "phone:138****1234;"  # eleven digits alone are enough to mask


def test_example_id_numbers_pass_the_check_digit_and_differ_by_seq() -> None:
    from caoyuan.identity import example_id_number

    made = {example_id_number(n) for n in range(1, 50)}
    assert len(made) == 49
    assert all(normalize_id_number(value) == value for value in made)
    assert example_id_number(1, region="150624").startswith("15062419800101001")
