"""Production settings in deploy/: every CAOYUAN_* setting is set, payments are real Alipay (never the
sandbox), and every placeholder stops the app at start instead of running with it.

"Stops the app" is checked with the app's own settings loaders (kernel settings, then the payment
config), exactly what ``caoyuan serve`` and ``caoyuan db upgrade`` run first.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from caoyuan.payments.settings import AlipaySettings, load_payment_config
from caoyuan.settings import Settings, SettingsError, load_settings
from tests.deploy_files import DEPLOY, ROOT, MissingVariable, compose_file, interpolate

K8S_BASE = DEPLOY / "k8s" / "base"
K8S_SECRETS = DEPLOY / "k8s" / "secret.example.yaml"
KEY_DIR = "/run/secrets/caoyuan/"  # where compose and Kubernetes mount Alipay's key files
PLACEHOLDER = "REPLACE-ME"
# Read by the server outside the two settings classes: the image's CMD and the signer's thread pool.
EXTRA_VARIABLES = {"CAOYUAN_WORKERS", "CAOYUAN_ALIPAY_SIGN_THREADS"}


def server_variables() -> set[str]:
    """Every variable the server reads, less the sandbox's, which production never sets."""
    names = {f"CAOYUAN_{name.upper()}" for name in Settings.model_fields}
    names |= {f"CAOYUAN_ALIPAY_{name.upper()}" for name in AlipaySettings.model_fields}
    return {name for name in names | EXTRA_VARIABLES if "SANDBOX" not in name}


def _pem_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private.decode(), public.decode()


@pytest.fixture(scope="module")
def good_values() -> dict[str, str]:
    """What an operator fills in: well-formed values (keys are files, by their name in the key folder)."""
    private, public = _pem_pair()
    url = "postgresql+asyncpg://caoyuan:pw@db:5432/caoyuan"
    return {
        "CAOYUAN_SECRET_KEY": secrets.token_urlsafe(48),
        "CAOYUAN_DATABASE_URL": url,
        "CAOYUAN_DATABASE_LISTEN_URL": url,
        "CAOYUAN_METRICS_TOKEN": secrets.token_urlsafe(24),
        "CAOYUAN_PUBLIC_BASE_URL": "https://coop.example.cn",
        "CAOYUAN_ALIPAY_APP_ID": "2021000000000001",
        "CAOYUAN_ALIPAY_SELLER_ID": "2088000000000001",
        "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
        "app-private-key.pem": private,
        "alipay-public-key.pem": public,
    }


def start_problem(env: dict[str, str], key_files: dict[str, str], monkeypatch, tmp_path: Path) -> str | None:
    """The app's refusal to start with this environment and these key files, or None if it would start."""
    key_dir = tmp_path / "keys"
    key_dir.mkdir(exist_ok=True)
    for old in key_dir.iterdir():
        old.unlink()
    for name, text in key_files.items():
        (key_dir / name).write_text(text, encoding="ascii")
    with monkeypatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("CAOYUAN_")]:
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value.replace(f"@{KEY_DIR}", f"@{key_dir}/"))
        try:
            settings = load_settings()
            config = load_payment_config(settings)
        except SettingsError as exc:
            return str(exc)
    assert (settings.environment, config.mode) == ("production", "alipay")
    return None


def test_no_deploy_file_chooses_the_sandbox_cashier() -> None:
    choices = []
    for path in sorted(p for p in DEPLOY.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8")
        choices += re.findall(r"CAOYUAN_PAYMENTS\W+(\w+)", text)
        # No sandbox setting (its key folder, or any opt-in the kernel offers) belongs in production.
        assert not re.search(r"CAOYUAN_\w*SANDBOX", text), path
    assert len(choices) >= 2 and set(choices) == {"alipay"}, choices


def test_every_setting_is_in_the_kubernetes_config_or_secret() -> None:
    config = yaml.safe_load((K8S_BASE / "configmap.yaml").read_text(encoding="utf-8"))["data"]
    secret = next(yaml.safe_load_all(K8S_SECRETS.read_text(encoding="utf-8")))["stringData"]
    assert not set(config) & set(secret), "a variable in both would depend on envFrom order"
    assert server_variables() <= set(config) | set(secret), server_variables() - set(config) - set(secret)
    assert config["CAOYUAN_ENVIRONMENT"] == "production"


def test_every_setting_is_in_the_runbook() -> None:
    runbook = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    missing = {name for name in server_variables() if f"`{name}`" not in runbook}
    assert not missing, f"docs/deploy.md does not explain {sorted(missing)}"


def _kubernetes_sources() -> tuple[dict, dict, dict]:
    config = yaml.safe_load((K8S_BASE / "configmap.yaml").read_text(encoding="utf-8"))["data"]
    secrets_, keys = yaml.safe_load_all(K8S_SECRETS.read_text(encoding="utf-8"))
    return config, secrets_["stringData"], keys["stringData"]


def _kubernetes_envs(config: dict, secret: dict) -> list[dict]:
    web = {**config, **secret}
    migrate = {**web, "CAOYUAN_DATABASE_URL": secret["CAOYUAN_DATABASE_LISTEN_URL"]}  # as the Job's env says
    return [web, migrate]


def test_kubernetes_settings_start_once_filled_in(good_values, monkeypatch, tmp_path) -> None:
    config, secret, keys = _kubernetes_sources()
    filled = {name: good_values.get(name, value) for name, value in secret.items()}
    files = {name: good_values[name] for name in keys}
    for env in _kubernetes_envs(config, filled):
        assert start_problem(env, files, monkeypatch, tmp_path) is None


def test_every_kubernetes_placeholder_stops_the_app(good_values, monkeypatch, tmp_path) -> None:
    config, secret, keys = _kubernetes_sources()
    left = [n for n, v in secret.items() if PLACEHOLDER in v] + [n for n, v in keys.items() if PLACEHOLDER in v]
    assert {"CAOYUAN_SECRET_KEY", "CAOYUAN_ALIPAY_APP_ID", "app-private-key.pem"} <= set(left)
    for name in left:
        env_secret = {n: v if n == name else good_values.get(n, v) for n, v in secret.items()}
        files = {n: v if n == name else good_values[n] for n, v in keys.items()}
        problems = [start_problem(env, files, monkeypatch, tmp_path) for env in _kubernetes_envs(config, env_secret)]
        assert any(problems), f"the app starts with {name} left as {PLACEHOLDER}"
        assert all(p is None or "CAOYUAN_" in p for p in problems), problems


def _env_example() -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def test_compose_refuses_to_start_with_any_value_left_empty(good_values) -> None:
    example = _env_example()
    empty = [name for name, value in example.items() if not value]
    assert {"POSTGRES_PASSWORD", "CAOYUAN_SECRET_KEY", "CAOYUAN_ALIPAY_APP_ID", "CAOYUAN_ALIPAY_SELLER_ID"} <= set(
        empty
    )
    for name in empty:
        env = {n: v or good_values[n] for n, v in example.items() if n != name} | {name: ""}
        with pytest.raises(MissingVariable, match=name):
            interpolate(compose_file(), env)
    with pytest.raises(MissingVariable):
        interpolate(compose_file(), example)  # the file exactly as copied


def test_compose_app_and_migration_start_once_filled_in(good_values, monkeypatch, tmp_path) -> None:
    env = {n: v or good_values[n] for n, v in _env_example().items()}
    services = interpolate(compose_file(), env)["services"]
    files = {name: good_values[name] for name in ("app-private-key.pem", "alipay-public-key.pem")}
    for name in ("app", "migrate"):
        environment = services[name]["environment"]
        assert server_variables() <= set(environment), server_variables() - set(environment)
        assert start_problem(environment, files, monkeypatch, tmp_path) is None
        # Without the key files in deploy/secrets/ the same settings stop the app, naming the variable.
        problem = start_problem(environment, {}, monkeypatch, tmp_path)
        assert problem and "CAOYUAN_ALIPAY_APP_PRIVATE_KEY" in problem
