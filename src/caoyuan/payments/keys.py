"""RSA keys for Alipay: read them however merchants hold them, and make the sandbox's pairs once.

Alipay's key tool hands out bare base64 (PKCS#1 or PKCS#8 DER); OpenSSL writes PEM. Both are
accepted, inline or from a file (``@/path/to/key.pem``). The sandbox writes PKCS#1 private keys,
the form alipay-sdk-python's pure-Python signer needs.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

MIN_BITS = 2048


class BadKey(ValueError):
    """Key text that is not a usable RSA key."""


def read_key_text(value: str) -> str:
    """The key text itself, or the content of the file named after an ``@``."""
    value = value.strip()
    if value.startswith("@"):
        path = Path(value[1:]).expanduser()
        try:
            return path.read_text(encoding="ascii").strip()
        except OSError as exc:
            raise BadKey(f"cannot read key file {path}: {exc.strerror}") from None
    return value


def load_private_key(value: str) -> rsa.RSAPrivateKey:
    text = read_key_text(value)
    try:
        if "-----BEGIN" in text:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = serialization.load_der_private_key(_b64(text), password=None)
    except (ValueError, TypeError) as exc:
        raise BadKey(f"not an RSA private key (PEM, or base64 PKCS#1/PKCS#8): {exc}") from None
    return _checked(key, rsa.RSAPrivateKey)


def load_public_key(value: str) -> rsa.RSAPublicKey:
    text = read_key_text(value)
    try:
        if "-----BEGIN" in text:
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_der_public_key(_b64(text))
    except (ValueError, TypeError) as exc:
        raise BadKey(f"not an RSA public key (PEM, or base64 SubjectPublicKeyInfo): {exc}") from None
    return _checked(key, rsa.RSAPublicKey)


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise BadKey("neither PEM nor base64") from None


def _checked(key, kind):  # type: ignore[no-untyped-def]
    if not isinstance(key, kind):
        raise BadKey("not an RSA key (Alipay RSA2 needs RSA)")
    if key.key_size < MIN_BITS:
        raise BadKey(f"RSA key of {key.key_size} bits; RSA2 needs at least {MIN_BITS}")
    return key


def private_pem_pkcs1(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def public_pem(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


# ---------------------------------------------------------------- sandbox key pairs


@dataclass(frozen=True)
class SandboxKeyFiles:
    """Where the sandbox keeps its two pairs: the merchant app's and the pretend Alipay's."""

    directory: Path

    def path(self, name: str) -> Path:
        return self.directory / f"{name}.pem"

    @property
    def app_private(self) -> Path:
        return self.path("app_private_key")

    @property
    def app_public(self) -> Path:
        return self.path("app_public_key")

    @property
    def alipay_private(self) -> Path:
        return self.path("alipay_private_key")

    @property
    def alipay_public(self) -> Path:
        return self.path("alipay_public_key")


def ensure_sandbox_keys(directory: Path) -> SandboxKeyFiles:
    """Generate the two RSA-2048 pairs once; every process (and worker) then reads the same files.

    A lock file serialises the first start of several processes; each file is written to a temporary
    name and renamed, so nobody ever reads half a key.
    """
    files = SandboxKeyFiles(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(directory / ".lock"):
        for side in ("app", "alipay"):
            private, public = files.path(f"{side}_private_key"), files.path(f"{side}_public_key")
            if private.exists() and public.exists():
                continue
            key = rsa.generate_private_key(public_exponent=65537, key_size=MIN_BITS)
            _atomic_write(private, private_pem_pkcs1(key), mode=0o600)
            _atomic_write(public, public_pem(key.public_key()), mode=0o644)
    return files


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _atomic_write(path: Path, text: str, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
