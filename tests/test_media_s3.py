"""Product images on S3-compatible storage: uploaded through one node, served by another; the disk stays the default.

The bucket is served by moto's server mode on a local port, so boto3 speaks real HTTP to an S3 endpoint.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from PIL import Image
from pydantic import SecretStr

from caoyuan.app import create_app
from caoyuan.db import create_database
from storefront.models import ProductImage
from tests.conftest import api_token

BUCKET = "caoyuan-media-test"
PREFIX = "shop/"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer  # half a second of imports: only when this module runs

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _bucket_client(endpoint: str):  # type: ignore[no-untyped-def]
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-key-id",
        aws_secret_access_key="test-secret",
    )


def _png(width: int = 1600, height: int = 900) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 160, 90)).save(out, "PNG")
    return out.getvalue()


async def _upload(client: AsyncTestClient, headers: dict[str, str]) -> dict:
    made = await client.post("/api/shop/admin/products", headers=headers, json={"name": "草原奶茶"})
    assert made.status_code == 201, made.text
    sent = await client.post(
        f"/api/shop/admin/products/{made.json()['id']}/images",
        headers=headers,
        files={"file": ("tea.png", _png(), "image/png")},
    )
    assert sent.status_code == 201, sent.text
    return sent.json()


async def test_image_uploaded_through_one_node_is_served_by_another(
    settings, db, make_user, s3_endpoint: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    bucket = _bucket_client(s3_endpoint)
    bucket.create_bucket(Bucket=BUCKET)

    def node(name: str):  # type: ignore[no-untyped-def]
        # each node has its own (empty) disk: only the bucket is shared
        return settings.with_overrides(
            media_dir=str(tmp_path / name),
            media_s3_bucket=BUCKET,
            media_s3_endpoint_url=s3_endpoint,
            media_s3_region="us-east-1",
            media_s3_access_key_id="test-key-id",
            media_s3_secret_access_key=SecretStr("test-secret"),
            media_s3_prefix=PREFIX,
        )

    node_a, node_b = node("disk-a"), node("disk-b")
    assert "test-secret" not in repr(node_a)  # a logged settings object never shows the key
    admin = await make_user("admin")
    app_a = create_app(node_a, database=create_database(node_a.database_url, 5))
    app_b = create_app(node_b, database=create_database(node_b.database_url, 5))
    async with (
        AsyncTestClient(app=app_a, base_url="http://testserver.local") as a,
        AsyncTestClient(app=app_b, base_url="http://testserver.local") as b,
    ):
        image = await _upload(a, await api_token(a, admin.phone))
        filename = image["url"].removeprefix("/media/")
        assert (image["width"], image["height"]) == (1200, 675)  # resized before it was stored

        stored = bucket.get_object(Bucket=BUCKET, Key=PREFIX + filename)
        assert stored["ContentType"] == "image/jpeg"
        in_bucket = stored["Body"].read()
        assert not (tmp_path / "disk-a").exists()  # nothing went to node A's disk

        served = await b.get(image["url"])
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/jpeg"
        assert "immutable" in served.headers["cache-control"]
        assert served.content == in_bucket
        with Image.open(io.BytesIO(served.content)) as img:
            assert (img.format, img.size) == ("JPEG", (1200, 675))

        missing = filename.replace(filename[-8:-4], "0000" if filename[-8:-4] != "0000" else "1111")
        assert (await b.get(f"/media/{missing}")).status_code == 404
        assert (await b.get("/media/..%2Fsecret.jpg")).status_code == 404
        assert (await b.get("/media/notes.txt")).status_code == 404


async def test_local_disk_stays_the_default(client, settings, make_user) -> None:  # type: ignore[no-untyped-def]
    assert settings.media_s3_bucket == ""
    admin = await make_user("admin")
    image = await _upload(client, await api_token(client, admin.phone))
    on_disk = Path(settings.media_dir) / image["url"].removeprefix("/media/")
    assert on_disk.is_file()
    assert not [p for p in on_disk.parent.iterdir() if p.name.startswith(".upload-")]  # no temp file left

    served = await client.get(image["url"])
    assert served.status_code == 200
    assert served.content == on_disk.read_bytes()
    assert (await client.get("/media/p1-000000000000.jpg")).status_code == 404


async def test_unreachable_bucket_answers_503_and_writes_no_image(settings, db, make_user, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    down = settings.with_overrides(
        media_dir=str(tmp_path / "disk"),
        media_s3_bucket=BUCKET,
        media_s3_endpoint_url=f"http://127.0.0.1:{_free_port()}",  # nothing listens there
        media_s3_region="us-east-1",
        media_s3_access_key_id="test-key-id",
        media_s3_secret_access_key=SecretStr("test-secret"),
    )
    admin = await make_user("admin")
    app = create_app(down, database=create_database(down.database_url, 5))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        headers = await api_token(client, admin.phone)
        made = await client.post("/api/shop/admin/products", headers=headers, json={"name": "草原奶茶"})
        sent = await client.post(
            f"/api/shop/admin/products/{made.json()['id']}/images",
            headers=headers,
            files={"file": ("tea.png", _png(), "image/png")},
        )
        assert sent.status_code == 503, sent.text
        assert sent.json()["code"] == "unavailable"
        assert (await client.get("/media/p1-000000000000.jpg")).status_code == 503
    async with db.session() as session:
        count = await session.scalar(sa.select(sa.func.count()).select_from(ProductImage))
    assert count == 0  # no image row points at an object that was never stored
