"""At shutdown the app closes the Alipay gateway's HTTP client (its pooled connections)."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from caoyuan.app import create_app
from caoyuan.db import create_database
from caoyuan.payments.client import gateway_for


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_gateway_client_is_closed_at_shutdown(settings) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings, database=create_database(settings.database_url, 1))
    async with AsyncTestClient(app=app, base_url="http://testserver.local"):
        gateway = gateway_for(app)
        assert not gateway._http.is_closed
    assert gateway._http.is_closed
