"""A dossier's page at the city, on both stores: timeline and documents for every role, files
only as downloads, the transition form for the administrator only (CSRF, clear errors,
nothing written on a refusal), and another commune's dossier a 404 for a commune-viewer."""

from __future__ import annotations

import pytest

from central.runtime import CentralRuntime
from central.store import CENTRAL_ORIGIN
from rules.actor import Role
from tests.support.city_client import CityClientFactory
from tests.web.city_pages.city_seed import AN_BINH, FILE_BYTES, HOA_BINH, Seeded, seed


@pytest.fixture
def seeded(runtime: CentralRuntime) -> Seeded:
    return seed(runtime)


def city_events(runtime: CentralRuntime, node: str) -> int:
    return len(runtime.store.down_events(node, 0, 100))


@pytest.mark.parametrize(
    ("role", "node"),
    [(Role.ADMIN, None), (Role.CITY_VIEWER, None), (Role.COMMUNE_VIEWER, AN_BINH)],
)
def test_every_city_role_sees_the_timeline_and_documents(
    city_client: CityClientFactory, seeded: Seeded, role: Role, node: str | None
) -> None:
    client = city_client(role, node=node)
    page = client.get(f"/dossiers/{seeded.marriage}")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "000.00.15.H42-270201-0001" in html and "Nguyễn Văn Đức" in html
    assert "Tiếp nhận hồ sơ" in html and "Đính kèm tài liệu: giay-to.html" in html
    assert f'href="/dossiers/{seeded.marriage}/documents/{seeded.sha256}" download' in html
    has_form = f'action="/dossiers/{seeded.marriage}/transitions"' in html
    assert has_form == (role is Role.ADMIN)
    birth = client.get(f"/dossiers/{seeded.birth}").text
    assert "chưa về" in birth  # its file has not reached the city: no link to a 404
    assert f"/documents/{seeded.missing_sha256}" not in birth


def test_a_file_is_only_ever_a_sandboxed_download(
    city_client: CityClientFactory, seeded: Seeded
) -> None:
    viewer = city_client(Role.CITY_VIEWER)
    got = viewer.get(f"/dossiers/{seeded.marriage}/documents/{seeded.sha256}")
    assert got.status_code == 200 and got.content == FILE_BYTES
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"].startswith("attachment")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"].startswith("sandbox")
    # Not held yet, not this dossier's, not a digest: no file, whatever exists elsewhere.
    for path, status in (
        (f"/dossiers/{seeded.birth}/documents/{seeded.missing_sha256}", 404),
        (f"/dossiers/{seeded.birth}/documents/{seeded.sha256}", 404),
        (f"/dossiers/{seeded.marriage}/documents/{'0' * 64}", 404),
        (f"/dossiers/{seeded.marriage}/documents/..%2F..%2Fcentral.sqlite3", 400),
        (f"/dossiers/{seeded.marriage}/documents/{seeded.sha256.upper()}", 400),
    ):
        assert viewer.get(path).status_code in (status, 404), path


def test_a_commune_viewer_gets_404_for_another_communes_dossier(
    city_client: CityClientFactory, seeded: Seeded, runtime: CentralRuntime
) -> None:
    viewer = city_client(Role.COMMUNE_VIEWER, node=HOA_BINH)
    for path in (
        f"/dossiers/{seeded.marriage}",
        f"/dossiers/{seeded.marriage}/documents/{seeded.sha256}",
    ):
        refused = viewer.get(path)
        assert refused.status_code == 404, path
        assert "Nguyễn Văn Đức" not in refused.text and FILE_BYTES not in refused.content
    missing = viewer.get("/dossiers/0190c0de-0000-7000-8000-000000000000")
    assert missing.status_code == 404  # the same answer as for a dossier that exists
    posted = viewer.post(f"/dossiers/{seeded.marriage}/transitions", data={"action": "start"})
    assert posted.status_code == 404
    own = viewer.get(f"/dossiers/{seeded.overdue}")
    assert own.status_code == 200 and "Trần Thị Lan" in own.text
    assert city_events(runtime, AN_BINH) == 0


def test_the_administrator_appends_a_transition_that_goes_down(
    city_client: CityClientFactory, seeded: Seeded, runtime: CentralRuntime
) -> None:
    admin = city_client(Role.ADMIN)
    done = admin.post(
        f"/dossiers/{seeded.marriage}/transitions",
        data={"action": "start"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/dossiers/{seeded.marriage}?done=start"
    (record,) = runtime.store.down_events(AN_BINH, 0, 10)
    assert (record.origin, record.stream, record.kind) == (
        CENTRAL_ORIGIN,
        seeded.marriage,
        "dossier_transitioned",
    )
    assert record.actor == f"central:{Role.ADMIN.value}-city"
    assert runtime.pending_down.get_nowait() == AN_BINH
    page = admin.get(done.headers["location"]).text
    assert "Đã thực hiện: Bắt đầu xử lý." in page and "Đang xử lý" in page


REFUSED_TRANSITIONS = [
    ({"action": "resolve"}, 409, "không thực hiện được ở trạng thái hiện tại"),
    ({"action": "request_supplement"}, 400, "Nhập lý do"),
    ({"action": "request_supplement", "note": "x" * 2001}, 400, "tối đa 2000 ký tự"),
    ({"action": "teleport"}, 400, "Không có thao tác"),
    ({}, 400, "Không có thao tác"),
    ({"action": "reschedule", "note": "x", "due_at": "hôm qua"}, 400, "ngày hẹn mới"),
    ({"action": "reschedule", "note": "x", "due_at": "2020-01-01T08:00"}, 400, "ngày hẹn"),
]


def test_a_refused_transition_says_why_and_writes_nothing(
    city_client: CityClientFactory, seeded: Seeded, runtime: CentralRuntime
) -> None:
    admin = city_client(Role.ADMIN)
    for data, status, message in REFUSED_TRANSITIONS:
        response = admin.post(f"/dossiers/{seeded.marriage}/transitions", data=data)
        assert response.status_code == status, (data, response.text[:500])
        assert message in response.text, data
    assert city_events(runtime, AN_BINH) == 0
