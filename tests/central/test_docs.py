"""README.md documents the city: every config key, API route and rejection reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from central.message_handler import REJECTION_REASONS
from central.runtime import CentralRuntime
from settings.city import CentralConfig
from tests.support.doc_keys import struct_keys
from web.city_api.app import create_central_app

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
CITY = README[README.index("## City data centre (central)") :]


@pytest.mark.parametrize("key", struct_keys(CentralConfig))
def test_every_central_config_key_is_documented(key: str) -> None:
    assert f"| `{key}` |" in CITY


@pytest.mark.parametrize("reason", sorted(REJECTION_REASONS))
def test_every_rejection_reason_is_documented(reason: str) -> None:
    assert f"`{reason}`" in CITY


def test_every_api_route_is_documented(runtime: CentralRuntime) -> None:
    app = create_central_app(runtime)
    paths = {
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", ())
        if method in ("GET", "POST") and route.path.startswith(("/api/", "/healthz"))
    }
    assert paths
    for method, path in sorted(paths):
        shown = path.replace("{dossier_id:str}", "{id}").replace(":str}", "}")
        assert f"`{method} {shown}" in CITY, f"{method} {path} is not in the city API table"
