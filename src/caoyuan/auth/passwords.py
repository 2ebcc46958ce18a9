"""Argon2id through argon2-cffi. Hashing is slow on purpose, so it runs off the event loop."""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8
_hasher = PasswordHasher()


def use_fast_hashing_for_tests() -> None:
    """Tests create many users; a cheap (still argon2id) profile keeps them quick."""
    global _hasher
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def check_strength(password: str) -> str | None:
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 位"
    if password.isdigit() and len(set(password)) <= 2:
        return "密码太简单，请勿使用重复数字"
    return None


async def hash_password_async(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def _verify() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(_verify)


# A real hash to verify against when the phone is unknown, so timing does not reveal accounts.
DUMMY_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("not-a-real-password")
