"""What the city's dossier and push pages refuse, whatever the store (so on SQLite only):
anonymous requests, roles that may not act, a missing CSRF token, and hostile values in
every parameter, each with a clear answer and nothing written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from central.runtime import CentralRuntime
from rules.actor import Role
from tests.support.city_client import CityClientFactory
from tests.web.city_pages.city_seed import AN_BINH, CALENDAR, CATALOG, HOA_BINH, Seeded, seed
from web.city_api.app import create_central_app

VIEWERS = [(Role.CITY_VIEWER, None), (Role.COMMUNE_VIEWER, AN_BINH)]


@pytest.fixture
def runtime(sqlite_runtime: CentralRuntime) -> Iterator[CentralRuntime]:
    """This module's city: SQLite only (``city_client`` logs in to it)."""
    yield sqlite_runtime


@pytest.fixture
def seeded(runtime: CentralRuntime) -> Seeded:
    return seed(runtime)


def written(runtime: CentralRuntime) -> list[str]:
    """Every city event appended for the seeded communes (none after a refusal)."""
    return [r.kind for n in (AN_BINH, HOA_BINH) for r in runtime.store.down_events(n, 0, 100)]


HOSTILE_QUERIES = [
    "q=%00",
    "q=" + "a" * 201,
    "status=11",
    "status=0",
    "status=x",
    "offset=-1",
    "offset=99999999999",
    "overdue=maybe",
    "node=" + "x" * 201,
    "node=a%0Ab",
    "procedure=" + "1" * 51,
    "procedure=%1b",
    "from=" + "2" * 41,
    "to=%7f",
]


def test_hostile_parameters_are_refused_with_a_400(
    city_client: CityClientFactory, seeded: Seeded
) -> None:
    viewer = city_client(Role.CITY_VIEWER)
    for query in HOSTILE_QUERIES:
        for path in ("/dossiers", "/dossiers.csv"):
            response = viewer.get(f"{path}?{query}")
            assert response.status_code == 400, (path, query, response.text[:300])
            assert "Nguyễn Văn Đức" not in response.text


def test_a_bad_date_is_a_clear_error_on_the_page_and_the_csv(
    city_client: CityClientFactory, seeded: Seeded
) -> None:
    viewer = city_client(Role.CITY_VIEWER)
    for query in (
        "from=2027-02-30",
        "to=yesterday",
        "from=2027-03-01&to=2027-02-01",
        "from=0001-01-01",
        "from=2027-02-01T08:00",  # a time needs its UTC offset
    ):
        page = viewer.get(f"/dossiers?{query}")
        assert page.status_code == 400, query
        assert "Ngày không hợp lệ" in page.text and "Nguyễn Văn Đức" not in page.text
        listed = viewer.get(f"/dossiers.csv?{query}")
        assert listed.status_code == 400, query
        assert listed.text.startswith(("from ", "to ")), listed.text


def test_search_text_is_shown_escaped(city_client: CityClientFactory, seeded: Seeded) -> None:
    page = city_client(Role.CITY_VIEWER).get("/dossiers?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text


def test_a_hostile_dossier_id_or_digest_is_refused(
    city_client: CityClientFactory, seeded: Seeded
) -> None:
    viewer = city_client(Role.CITY_VIEWER)
    for dossier_id in ("..%2F..%2Fetc%2Fpasswd", "a" * 65, "%00", "x%20y", "%3Cscript%3E"):
        response = viewer.get(f"/dossiers/{dossier_id}")
        assert response.status_code in (400, 404), dossier_id
    base = f"/dossiers/{seeded.marriage}/documents/"
    for sha in ("..%2F..%2Fcentral.sqlite3", seeded.sha256.upper(), seeded.sha256[:63], "0" * 65):
        response = viewer.get(base + sha)
        assert response.status_code in (400, 404), sha
        assert response.headers["content-type"] != "application/octet-stream"


def test_anonymous_requests_are_refused_everywhere(runtime: CentralRuntime, seeded: Seeded) -> None:
    with TestClient(app=create_central_app(runtime)) as anonymous:
        for path in (
            "/dossiers",
            "/dossiers.csv",
            f"/dossiers/{seeded.marriage}",
            f"/dossiers/{seeded.marriage}/documents/{seeded.sha256}",
            "/reference",
        ):
            response = anonymous.get(path, follow_redirects=False)
            assert response.status_code in (303, 401), path
            assert "Nguyễn Văn Đức" not in response.text
        for path, data in (
            (f"/dossiers/{seeded.marriage}/transitions", {"action": "start"}),
            ("/reference", {"kind": "calendar", "node": AN_BINH}),
        ):
            response = anonymous.post(path, data=data, follow_redirects=False)
            assert response.status_code in (303, 401, 403), path
    assert written(runtime) == []


@pytest.mark.parametrize(("role", "node"), VIEWERS)
def test_a_viewer_may_not_act(
    city_client: CityClientFactory,
    seeded: Seeded,
    runtime: CentralRuntime,
    role: Role,
    node: str | None,
) -> None:
    viewer = city_client(role, node=node)
    html = viewer.get("/dossiers").text
    assert 'href="/reference"' not in html  # no menu entry for what it may not do
    acted = viewer.post(f"/dossiers/{seeded.marriage}/transitions", data={"action": "start"})
    assert acted.status_code == 403 and "không được thực hiện" in acted.text
    assert viewer.get("/reference").status_code == 403
    pushed = viewer.post(
        "/reference",
        data={"kind": "calendar", "node": AN_BINH},
        files={"file": ("tet.toml", CALENDAR, "application/toml")},
    )
    assert pushed.status_code == 403
    assert written(runtime) == []


def test_a_post_without_the_csrf_token_is_refused(
    city_client: CityClientFactory, seeded: Seeded, runtime: CentralRuntime
) -> None:
    admin = city_client(Role.ADMIN, csrf_header=False)
    acted = admin.post(f"/dossiers/{seeded.marriage}/transitions", data={"action": "start"})
    assert acted.status_code == 403
    pushed = admin.post(
        "/reference",
        data={"kind": "calendar", "node": AN_BINH},
        files={"file": ("tet.toml", CALENDAR, "application/toml")},
    )
    assert pushed.status_code == 403
    assert written(runtime) == []


ON_AN_BINH = {"kind": "calendar", "node": AN_BINH}
BAD_PUSHES: list[tuple[dict[str, str], tuple[str, bytes, str] | None, str]] = [
    (ON_AN_BINH, ("x.toml", b"[[day]\n", "text/plain"), "not valid TOML"),
    (ON_AN_BINH, ("x.toml", CATALOG, "text/plain"), "Tệp không hợp lệ"),
    ({**ON_AN_BINH, "kind": "catalog"}, ("x.toml", b"\xff\xfe", "text/plain"), "TOML"),
    (ON_AN_BINH, None, "Chọn tệp TOML"),
    ({**ON_AN_BINH, "kind": "poems"}, ("x.toml", CALENDAR, "text/plain"), "Chọn loại tệp"),
    ({"kind": "calendar"}, ("x.toml", CALENDAR, "text/plain"), "Chọn ít nhất một"),
    ({**ON_AN_BINH, "node": "xa-moi"}, ("x.toml", CALENDAR, "text/plain"), "&#39;xa-moi&#39;"),
    ({**ON_AN_BINH, "node": "<b>x</b>"}, ("x.toml", CALENDAR, "text/plain"), "&lt;b&gt;x"),
    (
        ON_AN_BINH,
        ("<img src=x>.toml", b"[[day]\n", "text/plain"),
        "&lt;img src=x&gt;.toml: not valid TOML",
    ),
]


def test_a_bad_push_says_why_and_appends_nothing(
    city_client: CityClientFactory, seeded: Seeded, runtime: CentralRuntime
) -> None:
    admin = city_client(Role.ADMIN)
    for data, file, message in BAD_PUSHES:
        response = admin.post("/reference", data=data, files={"file": file} if file else None)
        assert response.status_code == 400, (data, response.text[:500])
        assert message in response.text, (data, message)
    assert written(runtime) == []
    assert runtime.store.get_node("xa-moi") is None  # no node row made for a stranger
