"""Settings from the environment (prefix ``CAOYUAN_``), checked once at start."""

from __future__ import annotations

import logging
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///./var/caoyuan.db"
SANDBOX_OPT_IN = "CAOYUAN_ALLOW_SANDBOX_PAYMENTS"

log = logging.getLogger("caoyuan.settings")


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names the environment variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAOYUAN_", extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = DEFAULT_SQLITE_URL
    database_pool_size: int = Field(default=10, ge=1, le=100)
    secret_key: str = Field(default="", description="signs session cookies and CSRF tokens")
    public_base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    api_token_hours: int = Field(default=24, ge=1, le=24 * 90)
    check_migrations: bool = True
    payments: Literal["sandbox", "alipay", "off"] = "sandbox"
    # The pretend cashier marks orders paid for free: production refuses it unless this says so on purpose.
    allow_sandbox_payments: bool = False
    order_expiry_minutes: int = Field(default=15, ge=1, le=24 * 60)
    background_tasks: bool = True  # sweepers and reconcilers; tests run them by hand
    media_dir: str = "./var/media"
    # Product images on S3-compatible storage (AWS S3, MinIO, OSS…) so any node serves any image; an empty
    # bucket keeps them on the local disk under media_dir. The keys come only from the environment.
    media_s3_bucket: str = Field(default="", max_length=63)
    media_s3_endpoint_url: str = ""  # empty = AWS's own endpoint for the region
    media_s3_region: str = Field(default="", max_length=40)
    media_s3_access_key_id: str = Field(default="", repr=False)
    media_s3_secret_access_key: SecretStr = SecretStr("")
    media_s3_prefix: str = Field(default="media/", max_length=200)
    # /metrics answers only a caller sending "Authorization: Bearer <this>"; empty = /metrics is off.
    metrics_token: str = ""
    # The feed's LISTEN connection must be a real session: point this past PgBouncer (empty = database_url).
    database_listen_url: str = ""
    # PgBouncer in transaction mode: no prepared-statement cache, unique statement names. "auto" (or
    # unset): assumed when the URL's port is 6432.
    database_pgbouncer: bool | None = None
    # On SIGTERM: report not-ready and keep serving this long (the proxy takes the node out), then stop
    # taking connections, finish in-flight requests and close websockets with 1012 (reconnect elsewhere).
    shutdown_drain_s: float = Field(default=5.0, ge=0, le=120)
    # OpenTelemetry traces over OTLP/HTTP to this collector (base URL, e.g. http://otel-collector:4318);
    # empty = the standard OTEL_EXPORTER_OTLP_ENDPOINT if set, else no tracing. Needs caoyuan[otel].
    otlp_endpoint: str = Field(default="", max_length=500)

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("database_pgbouncer", mode="before")
    @classmethod
    def _auto_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() in ("", "auto") else value

    @field_validator("database_listen_url")
    @classmethod
    def _listen_driver(cls, value: str) -> str:
        if value and not value.startswith("postgresql+asyncpg://"):
            raise ValueError("must start with postgresql+asyncpg://")
        return value

    @field_validator("media_s3_endpoint_url")
    @classmethod
    def _s3_endpoint_http(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("otlp_endpoint")
    @classmethod
    def _otlp_http(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL (OTLP over HTTP, port 4318 by default)")
        return value.rstrip("/")

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token_long(cls, value: str) -> str:
        if value and len(value) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if value and len(value) < 32:
            raise ValueError(
                "must be at least 32 characters (try: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        raw = self.database_url.split(":///", 1)[1]
        return None if raw in ("", ":memory:") else Path(raw)

    @property
    def behind_pgbouncer(self) -> bool:
        if self.database_pgbouncer is not None:
            return self.database_pgbouncer
        from sqlalchemy.engine import make_url

        return not self.is_sqlite and make_url(self.database_url).port == 6432

    @property
    def listen_url(self) -> str:
        return self.database_listen_url or self.database_url

    def with_overrides(self, **values: object) -> Settings:
        return self.model_copy(update=values)


def load_settings(**overrides: object) -> Settings:
    """Read the environment; a bad value raises SettingsError naming the variable."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"])
            problems.append(f"CAOYUAN_{field.upper()}: {error['msg']}")
        raise SettingsError("bad setting — " + "; ".join(problems)) from None
    if not settings.secret_key:
        if settings.environment == "production":
            raise SettingsError("bad setting — CAOYUAN_SECRET_KEY: required in production")
        # Development and tests get a throwaway key: sessions do not survive a restart.
        settings = settings.with_overrides(secret_key=secrets.token_urlsafe(48))
    check_payments_mode(settings)
    return settings


def sandbox_in_production(settings: Settings) -> bool:
    return settings.environment == "production" and settings.payments == "sandbox"


def check_payments_mode(settings: Settings, *, warn: bool = False) -> None:
    """Refuse the sandbox cashier in production unless opted in; with ``warn``, say loudly that it is on.

    In sandbox mode anyone can "pay" an order at the built-in cashier and the income is posted to the
    books, so a production process must never run it by default.
    """
    if not sandbox_in_production(settings):
        return
    if not settings.allow_sandbox_payments:
        raise SettingsError(
            "bad setting — CAOYUAN_PAYMENTS: sandbox (the default) is refused when CAOYUAN_ENVIRONMENT=production, "
            "because its pretend cashier marks real orders paid for free; set CAOYUAN_PAYMENTS=alipay (or off), "
            f"or {SANDBOX_OPT_IN}=1 to run the sandbox in production on purpose"
        )
    if warn:
        log.warning(
            "!!! %s=1: the Alipay SANDBOX runs in production — orders can be marked paid without "
            "any money. Never use this for a real sale. !!!",
            SANDBOX_OPT_IN,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
