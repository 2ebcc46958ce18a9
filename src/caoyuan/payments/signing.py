"""Alipay's RSA2 (SHA256withRSA, PKCS#1 v1.5) over its canonical ``k=v&…`` string, with OpenSSL.

The SDK's own signer is pure-Python ``rsa`` (≈ 21 ms a signature, holding the GIL); ``cryptography``
signs in well under a millisecond and releases the GIL, so a small thread pool keeps the event loop
free while several signatures run at once.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

T = TypeVar("T")

REQUEST_EXCLUDES = ("sign",)  # a request signs everything else, sign_type included
NOTIFY_EXCLUDES = ("sign", "sign_type")  # an async notify (and a sync return) leaves both out


def canonical(params: Mapping[str, str | None], exclude: Iterable[str] = REQUEST_EXCLUDES) -> str:
    """Sorted ``k=v`` pairs joined with ``&``, raw (not URL-encoded), empty values left out."""
    skip = set(exclude)
    pairs = []
    for key in sorted(params):
        value = params[key]
        if key in skip or value is None or value == "":
            continue
        if not isinstance(value, str):
            raise TypeError(f"parameter {key!r} must be text, got {type(value).__name__}")
        pairs.append(f"{key}={value}")
    return "&".join(pairs)


def sign_now(key: rsa.RSAPrivateKey, content: str | bytes) -> str:
    """Blocking: base64 of SHA256withRSA over the UTF-8 content."""
    data = content.encode() if isinstance(content, str) else content
    return base64.b64encode(key.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def verify_now(key: rsa.RSAPublicKey, content: str | bytes, signature: str | None) -> bool:
    """Blocking: True only for a well-formed base64 signature that matches; never raises on bad input."""
    if not signature:
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    data = content.encode() if isinstance(content, str) else content
    try:
        key.verify(raw, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


@lru_cache(maxsize=1)
def crypto_pool() -> ThreadPoolExecutor:
    """One bounded pool per process for RSA work (OpenSSL releases the GIL while it computes)."""
    workers = int(os.environ.get("CAOYUAN_ALIPAY_SIGN_THREADS", "0")) or min(8, max(2, os.cpu_count() or 2))
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="alipay-rsa")


async def _off_loop(fn: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(crypto_pool(), fn, *args)


async def sign(key: rsa.RSAPrivateKey, content: str | bytes) -> str:
    return await _off_loop(sign_now, key, content)


async def verify(key: rsa.RSAPublicKey, content: str | bytes, signature: str | None) -> bool:
    return await _off_loop(verify_now, key, content, signature)


async def sign_params(
    key: rsa.RSAPrivateKey, params: Mapping[str, str], exclude: Iterable[str] = REQUEST_EXCLUDES
) -> str:
    return await sign(key, canonical(params, exclude))


async def verify_params(
    key: rsa.RSAPublicKey, params: Mapping[str, str], exclude: Iterable[str] = REQUEST_EXCLUDES
) -> bool:
    return await verify(key, canonical(params, exclude), params.get("sign"))


# ---------------------------------------------------------------- gateway JSON responses


class ResponseShapeError(ValueError):
    """A gateway answer that is not ``{"<method>_response": {...}, "sign": "..."}``."""


def response_key(method: str) -> str:
    """alipay.trade.precreate → alipay_trade_precreate_response."""
    return method.replace(".", "_") + "_response"


def signed_response(method: str, body: Mapping[str, str], signature: str) -> str:
    """The gateway's answer text, with the signed part exactly as it was signed."""
    return '{"' + response_key(method) + '":' + response_content(body) + ',"sign":' + json.dumps(signature) + "}"


def response_content(body: Mapping[str, str]) -> str:
    """The exact text the gateway signs for a response body."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def split_response(text: str, method: str) -> tuple[str, str | None, str]:
    """(raw signed JSON text of the body, sign or None, key found) of a gateway answer.

    Alipay signs the body's text as sent, so it is cut out of the answer verbatim rather than
    re-serialised. A failure before the method runs comes back under ``error_response``.
    """
    for key in (response_key(method), "error_response"):
        marker = f'"{key}"'
        start = text.find(marker)
        if start < 0:
            continue
        brace = text.find("{", start + len(marker))
        if brace < 0 or text[start + len(marker) : brace].strip() != ":":
            raise ResponseShapeError(f"{key} is not an object")
        end = _matching_brace(text, brace)
        try:
            sign = json.loads(text).get("sign")
        except json.JSONDecodeError as exc:
            raise ResponseShapeError(f"not JSON: {exc}") from None
        return text[brace:end], sign if isinstance(sign, str) else None, key
    raise ResponseShapeError(f"no {response_key(method)} in the answer")


def _matching_brace(text: str, start: int) -> int:
    depth, in_string, escaped = 0, False, False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
    raise ResponseShapeError("unbalanced braces")
