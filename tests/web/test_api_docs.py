"""``/schema`` is browsable in an office with no internet: every asset comes from the node."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import TestClient

from web.json_api.api_docs import SWAGGER_UI_MAJOR

Client = TestClient[Litestar]


def test_the_api_document_page_loads_nothing_from_elsewhere(client: Client) -> None:
    page = client.get("/schema")
    assert page.status_code == 200, page.text
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert urls, page.text  # the page does load its scripts and styles
    assert [u for u in urls if "://" in u or u.startswith("//")] == []
    assert not re.search(r"https?://", page.text.split("<body", 1)[0])
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url


def test_the_bundled_swagger_ui_reads_the_openapi_version_the_app_writes(client: Client) -> None:
    version = client.get("/schema/openapi.json").json()["openapi"]
    # Swagger UI 4 shows "Unable to render this definition" for an OpenAPI 3.1 document.
    assert not version.startswith("3.1") or SWAGGER_UI_MAJOR >= 5, (version, SWAGGER_UI_MAJOR)
