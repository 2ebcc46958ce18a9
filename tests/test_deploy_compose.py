"""The one-server compose install: its shape (docker is not running here, so no `docker compose config`),
PgBouncer's pooling, and nginx's config checked by nginx itself (`nginx -t`)."""

from __future__ import annotations

import configparser
import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from caoyuan import clock
from storefront.services.catalogue import MAX_IMAGE_BYTES
from streaming.feed import HEARTBEAT_S
from tests.deploy_files import DEPLOY, compose_file, interpolate

NGINX_CONF = DEPLOY / "nginx" / "caoyuan.conf"
FILLED = {
    "POSTGRES_PASSWORD": "pw",
    "CAOYUAN_SECRET_KEY": "k" * 48,
    "CAOYUAN_PUBLIC_BASE_URL": "https://coop.example.cn",
    "CAOYUAN_ALIPAY_APP_ID": "2021000000000001",
    "CAOYUAN_ALIPAY_SELLER_ID": "2088000000000001",
}


@pytest.fixture(scope="module")
def services() -> dict:
    return interpolate(compose_file(), FILLED)["services"]


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or 0


def test_services_start_in_order(services) -> None:
    assert set(services) == {"db", "pgbouncer", "migrate", "app", "nginx"}
    assert services["migrate"]["command"] == ["caoyuan", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    app_needs = services["app"]["depends_on"]
    assert app_needs["migrate"]["condition"] == "service_completed_successfully"
    assert "pgbouncer" in app_needs
    assert services["nginx"]["depends_on"]["app"]["condition"] == "service_healthy"
    assert services["migrate"]["image"] == services["app"]["image"]


def test_only_nginx_is_published(services) -> None:
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"nginx"}


def test_app_queries_through_pgbouncer_and_listens_and_migrates_directly(services) -> None:
    app, migrate = services["app"]["environment"], services["migrate"]["environment"]
    ini = configparser.ConfigParser(inline_comment_prefixes=(";",))
    ini.read(DEPLOY / "pgbouncer" / "pgbouncer.ini", encoding="utf-8")
    bouncer = ini["pgbouncer"]
    assert bouncer["pool_mode"] == "transaction"
    assert _host_port(app["CAOYUAN_DATABASE_URL"]) == ("pgbouncer", int(bouncer["listen_port"]))
    assert _host_port(app["CAOYUAN_DATABASE_LISTEN_URL"]) == ("db", 5432)
    assert _host_port(migrate["CAOYUAN_DATABASE_URL"]) == ("db", 5432)
    # The same file runs on Debian's PgBouncer 1.18, which refuses max_prepared_statements; the app keeps
    # no statement cache behind PgBouncer instead (CAOYUAN_DATABASE_PGBOUNCER=auto and port 6432).
    assert "max_prepared_statements" not in bouncer
    assert app["CAOYUAN_DATABASE_PGBOUNCER"] == "auto" and int(bouncer["listen_port"]) == 6432
    target = dict(pair.split("=") for pair in ini["databases"]["caoyuan"].split())
    assert (target["host"], target["port"], target["dbname"]) == ("db", "5432", "caoyuan")
    assert "pgbouncer.ini:/etc/pgbouncer/pgbouncer.ini:ro" in " ".join(services["pgbouncer"]["volumes"])


def test_files_the_services_mount_exist(services) -> None:
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            # The operator makes secrets/, nginx/certs/ and nginx/acme/ (kept out of git).
            if source.startswith("./") and not re.search(r"secrets|certs|acme", source):
                assert (DEPLOY / source).exists(), f"{name} mounts missing {source}"
    nginx_mounts = " ".join(services["nginx"]["volumes"])
    assert "./nginx/caoyuan.conf:/etc/nginx/conf.d/default.conf" in nginx_mounts


def test_image_serves_without_migrating() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    [cmd] = [line for line in dockerfile.splitlines() if line.startswith("CMD")]
    assert "caoyuan serve" in cmd and "upgrade" not in cmd  # migrations run once, not per replica
    assert re.search(r"^USER caoyuan$", dockerfile, re.M) and "--uid 1000" in dockerfile


def _nginx_directive(text: str, location: str, name: str) -> str:
    block = re.search(rf"location {re.escape(location)} \{{(.*?)\}}", text, re.S)
    assert block, f"no location {location}"
    found = re.search(rf"^\s*{name}\s+([^;]+);", block.group(1), re.M)
    assert found, f"{name} missing in location {location}"
    return found.group(1).strip()


def test_nginx_upgrades_websockets_and_outlasts_the_heartbeat() -> None:
    text = NGINX_CONF.read_text(encoding="utf-8")
    assert re.search(r"^\s*proxy_http_version 1\.1;", text, re.M)
    assert re.search(r"^\s*proxy_set_header Upgrade \$http_upgrade;", text, re.M)
    assert re.search(r"^\s*proxy_set_header Connection \$connection_upgrade;", text, re.M)
    for name in ("proxy_read_timeout", "proxy_send_timeout"):
        value = _nginx_directive(text, "/ws/", name)
        assert value.endswith("s") and int(value[:-1]) >= 3 * HEARTBEAT_S
    body = re.search(r"client_max_body_size (\d+)m;", text)
    assert body and int(body.group(1)) * 1024 * 1024 > MAX_IMAGE_BYTES


def _nginx() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"  # /usr/sbin is not on every user's PATH
    if os.path.exists(found):
        return found
    message = "nginx is not installed (apt-get install -y nginx-light)"
    if os.environ.get("CI") or os.environ.get("REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


def _self_signed(folder: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "coop.example.cn")])
    now = clock.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (folder / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )


def nginx_test(site: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """`nginx -t` on the site inside a minimal main config, as the nginx image includes conf.d in http {}.
    Only the certificate folder is moved (to a throwaway self-signed pair)."""
    certs = tmp_path / "certs"
    certs.mkdir(exist_ok=True)
    _self_signed(certs)
    (tmp_path / "site.conf").write_text(site.replace("/etc/nginx/certs/", f"{certs}/"), encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\nhttp {{ include {tmp_path}/site.conf; }}\n",
        encoding="utf-8",
    )
    return subprocess.run(
        [_nginx(), "-t", "-p", f"{tmp_path}/", "-c", f"{tmp_path}/nginx.conf"],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_nginx_accepts_the_config(tmp_path) -> None:
    result = nginx_test(NGINX_CONF.read_text(encoding="utf-8"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.mark.parametrize("breakage", ["missing semicolon", "unknown directive", "websocket map at the wrong level"])
def test_nginx_refuses_a_broken_config(tmp_path, breakage: str) -> None:
    site = NGINX_CONF.read_text(encoding="utf-8")
    if breakage == "missing semicolon":
        broken = site.replace("proxy_http_version 1.1;", "proxy_http_version 1.1", 1)
    elif breakage == "unknown directive":
        broken = site.replace("proxy_buffering off;", "proxy_bufering off;", 1)
    else:
        broken = site.replace("location /ws/ {", "location /ws/ {\n map $http_upgrade $x { default upgrade; }", 1)
    assert broken != site
    result = nginx_test(broken, tmp_path)
    assert result.returncode != 0
