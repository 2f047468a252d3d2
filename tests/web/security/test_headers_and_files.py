"""What a browser is told about each answer: security headers and a CSP of the node's own
scripts and styles on the pages (and no inline script, handler or style for it to refuse);
stored files never rendered as HTML or SVG on the node's origin; path parameters that try
to climb out of their place refused on every route that has one."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from node.runtime import NodeRuntime
from rules.actor import STAFF_ROLES, Role
from tests.node.helpers import create
from tests.support.accounts import api_client
from tests.support.staff_client import StaffClientFactory
from web.node_api.app import create_app

Client = TestClient[Litestar]
HTML = b"<!doctype html><script>fetch('/api/v1/users')</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE = re.compile(r"<[^>]+\sstyle\s*=|<style", re.I)


def _csp(response: object) -> dict[str, str]:
    header = response.headers["content-security-policy"]  # type: ignore[attr-defined]
    return {d.split()[0]: d.strip() for d in header.split(";") if d.strip()}


def _assert_guarded(response: object, where: str) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["x-content-type-options"] == "nosniff", where
    assert headers["x-frame-options"] == "SAMEORIGIN", where
    assert headers["referrer-policy"] == "same-origin", where
    assert "frame-ancestors 'self'" in headers["content-security-policy"], where


def test_pages_and_answers_carry_the_security_headers(
    runtime: NodeRuntime, staff_client: StaffClientFactory
) -> None:
    with TestClient(app=create_app(runtime)) as anonymous:
        for path in ("/login", "/dossiers", "/api/v1/dossiers", "/static/app.css", "/healthz"):
            _assert_guarded(anonymous.get(path, follow_redirects=False), path)
    browser = staff_client(*STAFF_ROLES, user="quantri")
    with api_client(runtime, "script", Role.RECEPTION) as script:
        dossier = create(script)
    for path in ("/dossiers", f"/dossiers/{dossier['id']}", "/dossiers/new", "/scans", "/sync"):
        response = browser.get(path)
        _assert_guarded(response, path)
        csp = _csp(response)
        assert csp["script-src"] == "script-src 'self'", path  # no inline, no eval
        assert csp["style-src"] == "style-src 'self'", path
        assert csp["object-src"] == "object-src 'self'" and csp["base-uri"] == "base-uri 'none'"
        assert csp["form-action"] == "form-action 'self'", path


def test_no_page_carries_what_its_csp_would_refuse(
    runtime: NodeRuntime, staff_client: StaffClientFactory
) -> None:
    browser = staff_client(*STAFF_ROLES, user="quantri")
    with api_client(runtime, "script", Role.RECEPTION) as script:
        dossier = create(script)
    paths = [
        "/login",
        "/dossiers",
        "/dossiers/new",
        f"/dossiers/{dossier['id']}",
        f"/dossiers/{dossier['id']}/forms/01",
        "/scans",
        "/sync",
        "/indicators",
        "/admin",
        "/admin/accounts",
    ]
    for path in paths:
        html = browser.get(path).text
        for pattern in (INLINE_SCRIPT, HANDLER, STYLE):
            found = pattern.search(html)
            assert found is None, (path, found.group(0) if found else "")
    form = browser.get(f"/dossiers/{dossier['id']}/forms/01").text
    assert 'src="/static/print.js"' in form and "data-print" in form
    assert re.search(r'<svg width="[0-9.]+mm" height="[0-9.]+mm"', form)  # the QR's size


@pytest.mark.parametrize(
    ("name", "body", "declared"),
    [
        ("trang.html", HTML, "text/html"),
        ("anh.svg", SVG, "image/svg+xml"),
        ("gia.pdf", HTML, "application/pdf"),  # claims PDF, is not: not labelled one
        ("x.xhtml", HTML, "application/xhtml+xml"),
    ],
)
def test_an_uploaded_html_or_svg_never_renders_on_the_nodes_origin(
    runtime: NodeRuntime,
    staff_client: StaffClientFactory,
    name: str,
    body: bytes,
    declared: str,
) -> None:
    with api_client(runtime, "script", Role.RECEPTION) as script:
        dossier = create(script)
        attached = script.post(
            f"/api/v1/dossiers/{dossier['id']}/documents",
            files={"file": (name, body, declared)},
        )
        assert attached.status_code == 201, attached.text
        sha = attached.json()["documents"][-1]["sha256"]
        by_api = script.get(f"/api/v1/documents/{sha}")
    browser = staff_client(Role.RECEPTION, user="tiepnhan")
    by_page = browser.get(f"/dossiers/{dossier['id']}/documents/{sha}")
    for where, response in (("api", by_api), ("page", by_page)):
        assert response.status_code == 200, where
        assert response.content == body, where
        ctype = response.headers["content-type"]
        assert not ctype.startswith(("text/", "image/svg", "application/xhtml")), (where, ctype)
        assert response.headers["content-disposition"].startswith("attachment"), where
        assert response.headers["x-content-type-options"] == "nosniff", where
        csp = _csp(response)
        assert "sandbox" in csp and csp["default-src"] == "default-src 'none'", where


def test_a_pdf_is_still_shown_inline_and_a_hostile_file_name_stays_in_its_header(
    runtime: NodeRuntime,
) -> None:
    with api_client(runtime, "script", Role.RECEPTION) as script:
        dossier = create(script)
        name = 'a"; filename=evil.html; x=".pdf'
        attached = script.post(
            f"/api/v1/dossiers/{dossier['id']}/documents",
            files={"file": (name, PDF, "application/pdf")},
        )
        assert attached.status_code == 201, attached.text
        sha = attached.json()["documents"][-1]["sha256"]
        response = script.get(f"/api/v1/documents/{sha}")
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("inline; filename*=utf-8''"), disposition
    assert '"' not in disposition and "evil.html;" not in disposition, disposition
    assert "sandbox" not in _csp(response)  # Chromium's PDF viewer refuses a sandbox


CLIMBS = [
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%252F..%252Fetc%252Fpasswd",
    "..%5C..%5Cetc%5Cpasswd",
    "....%2F%2F....%2F%2Fetc%2Fpasswd",
    "%c0%ae%c0%ae%2Fetc%2Fpasswd",
    "%00",
]


def test_no_path_parameter_climbs_out(
    runtime: NodeRuntime, staff_client: StaffClientFactory
) -> None:
    app = create_app(runtime)
    browser = staff_client(*STAFF_ROLES, user="quantri")
    with api_client(runtime, "script", Role.RECEPTION) as script:
        dossier_id = create(script)["id"]
    tried = 0
    for route in app.routes:
        if "{" not in route.path:
            continue
        for method in sorted(set(getattr(route, "methods", set())) & {"GET", "POST"}):
            params = re.findall(r"\{[^}]+\}", route.path)
            for slot in range(len(params)):
                for climb in CLIMBS:
                    url = route.path
                    for i, param in enumerate(params):
                        value = climb if i == slot else dossier_id
                        url = url.replace(param, value, 1)
                    response = browser.request(method, url, follow_redirects=False, json={})
                    tried += 1
                    assert response.status_code in (400, 404, 405), (
                        method,
                        url,
                        response.status_code,
                    )
                    assert "root:" not in response.text, url
    assert tried > 150
    static = browser.get("/static/../../../../../etc/passwd")
    assert static.status_code in (400, 404) and "root:" not in static.text


@pytest.mark.parametrize("path", ["/static/%00", "/static/app.css%00.js", "/schema-assets/%00"])
def test_a_nul_byte_in_a_file_path_is_a_400_not_a_crash(runtime: NodeRuntime, path: str) -> None:
    with TestClient(app=create_app(runtime), raise_server_exceptions=False) as anonymous:
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 400, (path, response.status_code)
