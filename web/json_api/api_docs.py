"""The browsable API document at ``/schema``, served entirely by the process itself.

Litestar's renderers load their scripts, styles and favicon from CDNs by default, so
``/schema`` was a blank page in an office with no internet. Swagger UI's files come from
the ``swagger-ui-bundle-v2`` package (Swagger UI 5, which reads the OpenAPI 3.1 that
Litestar writes) and are served under ``/schema-assets``.

The document names the ways to authenticate (``components.securitySchemes``, given by the
app: web.auth.api_security) and requires one of them on every operation but the public
ones, which say so with ``operation_class=PublicOperation``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import swagger_ui_bundle
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, Operation, SecurityScheme
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

ASSETS_PATH = "/schema-assets"
_SWAGGER_DIR = Path(str(swagger_ui_bundle.swagger_ui_path))
# Swagger UI before 5 refuses an OpenAPI 3.1 document ("Unable to render this definition").
SWAGGER_UI_MAJOR = int(_SWAGGER_DIR.name.removeprefix("swagger-ui-").split(".")[0])


def openapi_config(title: str, schemes: dict[str, SecurityScheme]) -> OpenAPIConfig:
    """``/schema`` (Swagger UI from local files) and ``/schema/openapi.json``; an operation
    needs any one of ``schemes`` unless it is public."""
    swagger = SwaggerRenderPlugin(
        js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        css_url=f"{ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/favicon-32x32.png'>",
        path="/",
    )
    return OpenAPIConfig(
        title=title,
        version="1",
        path="/schema",
        render_plugins=[swagger, JsonRenderPlugin()],
        components=Components(security_schemes=dict(schemes)),
        security=[{name: []} for name in schemes],  # either one
    )


@dataclass
class PublicOperation(Operation):
    """The ``operation_class`` of a handler declared ``opt={"public": True}``: an empty
    ``security`` overrides the document's. (Litestar 2 drops a handler's ``security=[]``:
    it writes ``resolve_security() or None``.)"""

    def __post_init__(self) -> None:
        self.security = []


def docs_assets() -> ControllerRouterHandler:
    """The Swagger UI files, served by the app (never from a CDN); not in the API document."""
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[_SWAGGER_DIR],
        include_in_schema=False,
        name="schema-assets",
    )
