"""Alipay's canonical string and RSA2 signatures: OpenSSL agrees with the SDK's own pure-Python signer."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from alipay.aop.api.util.SignatureUtils import get_sign_content, sign_with_rsa2, verify_with_rsa
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from caoyuan.payments import signing
from caoyuan.payments.keys import private_pem_pkcs1, public_pem

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER = rsa.generate_private_key(public_exponent=65537, key_size=2048)

names = st.text(st.characters(codec="utf-8", exclude_characters="&="), min_size=1, max_size=12)
values = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)
params = st.dictionaries(names, values, max_size=8)


@given(params)
def test_canonical_matches_the_sdk(p: dict[str, str]) -> None:
    assert signing.canonical(p, exclude=()) == get_sign_content(p)


@given(params, st.randoms())
def test_canonical_ignores_order_and_empty_values(p: dict[str, str], rnd) -> None:  # type: ignore[no-untyped-def]
    items = list(p.items())
    rnd.shuffle(items)
    shuffled = dict(items + [("zz_empty", ""), ("aa_none", None)])  # type: ignore[list-item]
    assert signing.canonical(shuffled, exclude=()) == signing.canonical(p, exclude=())


@given(st.dictionaries(st.text("abcdefgh_", min_size=1, max_size=6), st.text("xyz0189.:中 ", min_size=1), max_size=6))
def test_canonical_parses_back_and_leaves_out_the_signature(p: dict[str, str]) -> None:
    text = signing.canonical({**p, "sign": "SIG", "sign_type": "RSA2"}, signing.NOTIFY_EXCLUDES)
    parsed = dict(pair.split("=", 1) for pair in text.split("&")) if text else {}
    assert parsed == {k: v for k, v in p.items() if k not in ("sign", "sign_type")}
    assert list(parsed) == sorted(parsed)


def test_canonical_refuses_non_text() -> None:
    with pytest.raises(TypeError):
        signing.canonical({"total_amount": 12.34})  # type: ignore[dict-item]


@settings(max_examples=5, deadline=None)  # the SDK's signer is pure Python (tens of ms each)
@given(params)
def test_openssl_signature_equals_the_sdk_signature(p: dict[str, str]) -> None:
    content = get_sign_content(p)
    ours = signing.sign_now(KEY, content)
    assert ours == sign_with_rsa2(private_pem_pkcs1(KEY), content, "utf-8")
    assert verify_with_rsa(public_pem(KEY.public_key()), content.encode(), ours)


def test_verify_rejects_tampering_other_keys_and_garbage() -> None:
    sig = signing.sign_now(KEY, "a=1&b=2")
    public = KEY.public_key()
    assert signing.verify_now(public, "a=1&b=2", sig)
    assert not signing.verify_now(public, "a=1&b=3", sig)
    assert not signing.verify_now(public, "a=1&b=2", signing.sign_now(OTHER, "a=1&b=2"))
    for junk in ("", None, "not base64!", "QUJD"):
        assert not signing.verify_now(public, "a=1&b=2", junk)


class _ThreadRecordingKey:
    """A real key that also notes which thread did each signature."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self.key, self.threads = key, set()

    def sign(self, *args):  # type: ignore[no-untyped-def]
        self.threads.add(threading.get_ident())
        return self.key.sign(*args)


async def test_signing_runs_off_the_event_loop() -> None:
    key = _ThreadRecordingKey(KEY)
    ticks, done = 0, False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            ticks += 1
            await asyncio.sleep(0)

    beat = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    start = ticks
    signatures = await asyncio.gather(*(signing.sign(key, f"n={i}") for i in range(200)))  # type: ignore[arg-type]
    during = ticks - start
    done = True
    await beat
    assert threading.get_ident() not in key.threads  # never on the loop's thread
    assert during >= 50  # the loop kept turning while the 200 signatures ran
    assert all(signing.verify_now(KEY.public_key(), f"n={i}", s) for i, s in enumerate(signatures))


def test_split_response_cuts_the_signed_text_verbatim() -> None:
    body = {"code": "10000", "msg": "Success", "subject": 'braces {in} "quotes" \\ 羊肉', "qr_code": "https://x/y"}
    sig = signing.sign_now(KEY, signing.response_content(body))
    text = signing.signed_response("alipay.trade.precreate", body, sig)
    raw, found_sign, key = signing.split_response(text, "alipay.trade.precreate")
    assert (json.loads(raw), found_sign, key) == (body, sig, "alipay_trade_precreate_response")
    assert signing.verify_now(KEY.public_key(), raw, found_sign)
    # Alipay may put the sign first and space things out; the signed part is still cut out exactly.
    reordered = '{"sign": ' + json.dumps(sig) + ',  "alipay_trade_precreate_response" :' + raw + "}"
    assert signing.split_response(reordered, "alipay.trade.precreate")[0] == raw


def test_split_response_finds_error_response_and_refuses_junk() -> None:
    raw, sign, key = signing.split_response(
        '{"error_response":{"code":"40002","sub_code":"isv.x"}}', "alipay.trade.query"
    )
    assert key == "error_response" and sign is None and json.loads(raw)["sub_code"] == "isv.x"
    for junk in ("<html>busy</html>", '{"alipay_trade_query_response": "x"}', '{"alipay_trade_query_response":{"a":1'):
        with pytest.raises(signing.ResponseShapeError):
            signing.split_response(junk, "alipay.trade.query")
