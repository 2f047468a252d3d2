"""The city's dossier list and its CSV, on both stores: each role, each filter, paging, the
commune scope, personal data in the CSV by role, and hostile values in every parameter."""

from __future__ import annotations

import csv
import io

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from central.runtime import CentralRuntime
from rules.actor import Role
from tests.support.city_client import CityClientFactory
from tests.web.city_pages.city_seed import AN_BINH, FORMULA_NAME, HOA_BINH, Seeded, seed

Client = TestClient[Litestar]


@pytest.fixture
def seeded(runtime: CentralRuntime) -> Seeded:
    return seed(runtime)


def codes(html: str, seeded: Seeded) -> set[str]:
    """Which seeded dossiers a list page links to."""
    return {
        name
        for name, dossier in (
            ("marriage", seeded.marriage),
            ("birth", seeded.birth),
            ("overdue", seeded.overdue),
        )
        if f'href="/dossiers/{dossier}"' in html
    }


def rows(response: object) -> list[list[str]]:
    text = response.content.decode("utf-8")  # type: ignore[attr-defined]
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CITY_VIEWER])
def test_a_city_role_sees_every_communes_dossiers(
    city_client: CityClientFactory, seeded: Seeded, role: Role
) -> None:
    page = city_client(role).get("/dossiers")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert codes(page.text, seeded) == {"marriage", "birth", "overdue"}
    assert "Tổng số: 3" in page.text
    assert AN_BINH in page.text and HOA_BINH in page.text


def test_a_commune_viewer_sees_its_commune_only(
    city_client: CityClientFactory, seeded: Seeded
) -> None:
    viewer = city_client(Role.COMMUNE_VIEWER, node=AN_BINH)
    page = viewer.get("/dossiers")
    assert page.status_code == 200
    assert codes(page.text, seeded) == {"marriage", "birth"}
    assert HOA_BINH not in page.text  # not even in the node select
    assert codes(viewer.get(f"/dossiers?node={AN_BINH}").text, seeded) == {"marriage", "birth"}
    # Its search for a name of another commune finds nothing, and no filter widens it.
    assert codes(viewer.get("/dossiers?q=lan&overdue=1").text, seeded) == set()
    for path in (f"/dossiers?node={HOA_BINH}", f"/dossiers.csv?node={HOA_BINH}"):
        refused = viewer.get(path)
        assert refused.status_code == 404, path
        assert "Trần Thị Lan" not in refused.text
    unknown = viewer.get("/dossiers?node=xa-khong-co")
    assert unknown.status_code == 404  # the same answer as for a commune that exists
    csv_rows = rows(viewer.get("/dossiers.csv"))
    assert {r[0] for r in csv_rows[1:]} == {AN_BINH}


FILTERS = [
    ("q=duc", {"marriage"}),
    ("q=000.00.15.H42-270201-0002", {"birth"}),
    ("procedure=1.001193", {"birth"}),
    (f"node={HOA_BINH}", {"overdue"}),
    ("status=2", {"marriage", "birth", "overdue"}),
    ("status=4", set()),
    ("overdue=1", {"overdue"}),
    ("overdue=true", {"overdue"}),
    ("from=2027-02-01&to=2027-02-01", {"marriage", "birth"}),
    ("from=2027-02-02", set()),
    ("to=2027-01-31", {"overdue"}),
    (f"node={AN_BINH}&procedure=1.000894&status=2&from=2027-02-01", {"marriage"}),
]


def test_each_filter_narrows_the_list_and_the_csv_alike(
    city_client: CityClientFactory, seeded: Seeded
) -> None:
    viewer = city_client(Role.CITY_VIEWER)
    for query, expected in FILTERS:
        page = viewer.get(f"/dossiers?{query}")
        assert page.status_code == 200, (query, page.text)
        assert codes(page.text, seeded) == expected, query
        listed = rows(viewer.get(f"/dossiers.csv?{query}"))
        assert len(listed) - 1 == len(expected), query


def test_paging_keeps_the_filters(city_client: CityClientFactory, seeded: Seeded) -> None:
    viewer = city_client(Role.CITY_VIEWER)
    from web.city_pages import dossier_list

    original = dossier_list.PAGE_SIZE
    dossier_list.PAGE_SIZE = 2
    try:
        first = viewer.get("/dossiers?status=2")
        assert len(codes(first.text, seeded)) == 2
        assert 'href="?status=2&amp;offset=2"' in first.text
        second = viewer.get("/dossiers?status=2&offset=2")
        assert len(codes(second.text, seeded)) == 1
        assert codes(first.text, seeded) | codes(second.text, seeded) == {
            "marriage",
            "birth",
            "overdue",
        }
    finally:
        dossier_list.PAGE_SIZE = original


def test_the_csv_has_personal_data_only_for_who_may_export_it(
    city_client: CityClientFactory, seeded: Seeded
) -> None:
    viewer_rows = rows(city_client(Role.CITY_VIEWER).get("/dossiers.csv"))
    assert viewer_rows[0][:2] == ["Xã/phường", "Mã hồ sơ"] and "Người nộp" not in viewer_rows[0]
    flat = "\n".join(",".join(r) for r in viewer_rows)
    for personal in ("Nguyễn Văn Đức", "001099012345", "0912345678", "Thôn 1", "HYPERLINK"):
        assert personal not in flat
    admin = city_client(Role.ADMIN).get("/dossiers.csv")
    assert admin.headers["content-disposition"].startswith("attachment")
    assert admin.headers["x-content-type-options"] == "nosniff"
    admin_rows = rows(admin)
    header = admin_rows[0]
    assert header[-4:] == ["Người nộp", "Số giấy tờ", "Điện thoại", "Địa chỉ"]
    by_name = {r[header.index("Người nộp")] for r in admin_rows[1:]}
    # A name that is a formula stays text in a spreadsheet.
    assert by_name == {"Nguyễn Văn Đức", "Trần Thị Lan", "'" + FORMULA_NAME}
