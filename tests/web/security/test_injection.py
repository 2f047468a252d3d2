"""Hostile text in every field a citizen or a user can set (applicant, proxy, address,
components, notes, file names, catalog procedure names, account display names) is shown as
text on every page that shows it, never markup or a template expression; the CSV exports
never hand a spreadsheet a formula."""

from __future__ import annotations

import csv
import io
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from node.runtime import NodeRuntime
from rules.actor import STAFF_ROLES, Role
from tests.node.helpers import act, create
from tests.support.accounts import api_client, make_user
from tests.support.staff_client import StaffClientFactory, form_token

Client = TestClient[Litestar]
HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>{{7*7}}'
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
FORMULA = '=HYPERLINK("http://evil.example","x")'
HOSTILE_NAME = f"Nguyễn {HOSTILE}"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def assert_inert(html: str, where: str, *, shown: bool = True) -> None:
    """No piece of the payload became markup, no template ran it; ``shown``: it is there,
    escaped (so the check looked at a page that really displays it)."""
    lowered = html.lower()
    assert "<script>alert" not in lowered, where
    assert "<img src=x" not in lowered, where  # as text it reads "&lt;img src=x ..."
    assert 'href="javascript:' not in lowered and 'src="javascript:' not in lowered, where
    if shown:
        assert ESCAPED in html, where
        assert "{{7*7}}" in html, where  # printed, not evaluated


def _hostile_dossiers(runtime: NodeRuntime) -> dict[str, str]:
    person = {"full_name": HOSTILE_NAME, "address": HOSTILE, "phone": "0912345678"}
    with api_client(runtime, "tatca") as script:
        received = create(script, applicant=person, proxy=person, components=[HOSTILE])
        ask = act(script, received["id"], "request_supplement", note=HOSTILE)
        assert ask.status_code == 201, ask.text
        refused = create(script, applicant=person)
        assert act(script, refused["id"], "refuse", note=HOSTILE).status_code == 201
        stopped = create(script, applicant=person, proxy=person)
        assert act(script, stopped["id"], "withdraw").status_code == 201
        assert act(script, stopped["id"], "stop", note=HOSTILE).status_code == 201
        attached = script.post(
            f"/api/v1/dossiers/{received['id']}/documents",
            files={"file": (f"{HOSTILE}.pdf", PDF, "application/pdf")},
        )
        assert attached.status_code == 201, attached.text
        formula = create(script, applicant={"full_name": FORMULA})
    return {
        "received": received["id"],
        "refused": refused["id"],
        "stopped": stopped["id"],
        "formula": formula["id"],
    }


def test_hostile_text_is_text_on_every_page(
    runtime: NodeRuntime, staff_client: StaffClientFactory
) -> None:
    ids = _hostile_dossiers(runtime)
    make_user(runtime.db, "ke-xau", Role.RECEPTION, display_name=HOSTILE)
    browser = staff_client(*STAFF_ROLES, user="quantri")
    received, refused = ids["received"], ids["refused"]
    pages: dict[str, bool] = {
        "/dossiers": True,
        "/dossiers?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E": True,  # the search box keeps it
        f"/dossiers/{received}": True,
        f"/dossiers/{received}/forms/01": True,
        f"/dossiers/{received}/forms/02": True,
        f"/dossiers/{refused}": True,
        f"/dossiers/{refused}/forms/03": True,
        f"/dossiers/{ids['stopped']}": True,
        f"/dossiers/{ids['stopped']}/forms/05": True,
        "/admin/accounts": True,
        "/indicators": False,
        "/scans": False,
        "/sync": False,
    }
    for path, shown in pages.items():
        response = browser.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert_inert(response.text, path, shown=shown)


def test_a_form_that_comes_back_with_an_error_keeps_the_hostile_text_as_text(
    staff_client: StaffClientFactory,
) -> None:
    browser = staff_client(Role.RECEPTION, user="tiepnhan", csrf_header=False)
    token = form_token(browser.get("/dossiers/new").text)
    kept = browser.post(
        "/dossiers/new",
        data={
            "_csrf_token": token,
            "procedure_q": HOSTILE,
            "procedure_code": "",  # missing: the form comes back with what was typed
            "applicant.full_name": HOSTILE_NAME,
            "proxy.full_name": HOSTILE,
            "components": HOSTILE,
        },
    )
    assert kept.status_code == 400, kept.text
    assert_inert(kept.text, "/dossiers/new (error)")


def test_a_hostile_procedure_name_from_a_catalog_import_is_text(
    runtime: NodeRuntime, staff_client: StaffClientFactory
) -> None:
    catalog = (
        '[[procedure]]\ncode = "9.999999"\nversion = "1"\n'
        f"name = '{HOSTILE}'\nfield = '{HOSTILE}'\ntime_limit = 3\n"
        f'time_unit = "working_days"\nonline_level = "none"\ncomponents = [\'{HOSTILE}\']\n'
    ).encode()
    admin = staff_client(*STAFF_ROLES, user="quantri", csrf_header=False)
    preview = admin.post(
        "/admin/import/catalog",
        files={"file": (f"{HOSTILE}.toml", catalog, "application/toml")},
        data={"_csrf_token": form_token(admin.get("/admin").text)},
    )
    assert preview.status_code == 200, preview.text
    assert_inert(preview.text, "admin preview")

    def hidden(name: str) -> str:
        return preview.text.split(f'name="{name}" value="')[1].split('"')[0]

    confirmed = admin.post(
        "/admin/import/catalog/confirm",
        data={
            "sha256": hidden("sha256"),
            "digest": hidden("digest"),
            "_csrf_token": form_token(preview.text),
        },
        follow_redirects=False,
    )
    assert confirmed.status_code == 303, confirmed.text
    for path in ("/dossiers/new/procedures?procedure_q=9.999999", "/dossiers/new/details"):
        response = admin.get(path, params={"procedure_code": "9.999999"})
        assert response.status_code == 200, (path, response.text)
        assert_inert(response.text, path)
    with api_client(runtime, "tatca") as script:
        made = create(script, procedure_code="9.999999")
    assert_inert(admin.get(f"/dossiers/{made['id']}").text, "dossier of the hostile procedure")
    assert_inert(admin.get(f"/dossiers/{made['id']}/forms/01").text, "form 01")


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_exports_carry_no_formula(
    runtime: NodeRuntime, staff_client: StaffClientFactory
) -> None:
    _hostile_dossiers(runtime)
    browser = staff_client(*STAFF_ROLES, user="quantri")
    exports: dict[str, Any] = {
        "/dossiers.csv": browser.get("/dossiers.csv"),
        "/indicators.csv": browser.get("/indicators.csv"),
    }
    for path, response in exports.items():
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/csv"), path
        assert "attachment" in response.headers["content-disposition"], path
        for row in _rows(response.content):
            for value in row:
                assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (path, value)
    names = [row[1] for row in _rows(exports["/dossiers.csv"].content)]
    assert "'" + FORMULA in names  # kept, as text
    assert HOSTILE_NAME in names  # a CSV is not HTML: the text as typed
