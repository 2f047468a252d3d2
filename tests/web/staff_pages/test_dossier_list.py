"""The dossier list page: what staff see first after log-in."""

from __future__ import annotations

from node.runtime import NodeRuntime
from rules.actor import Role
from tests.node.helpers import applicant, create
from tests.support.staff_client import StaffClientFactory


def test_home_leads_to_the_dossier_list(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION)
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dossiers"


def test_the_list_shows_received_dossiers_and_searches_without_diacritics(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    client = staff_client(Role.RECEPTION)
    first = create(client, applicant=applicant("Nguyễn Văn Đức"))
    create(client, applicant=applicant("Trần Thị Bình", id_number="001099000002"))
    page = client.get("/dossiers")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert first["code"] in page.text and "Trần Thị Bình" in page.text
    assert 'lang="vi"' in page.text and "Ngày hẹn trả" in page.text

    found = client.get("/dossiers", params={"q": "nguyen van duc"})
    assert first["code"] in found.text and "Trần Thị Bình" not in found.text


def test_an_applicant_name_is_shown_as_text_never_as_markup(
    staff_client: StaffClientFactory,
) -> None:
    client = staff_client(Role.RECEPTION)
    create(client, applicant=applicant("<script>alert(1)</script>"))
    page = client.get("/dossiers")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_a_hostile_query_is_refused_or_shown_as_text(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION)
    too_long = client.get("/dossiers", params={"q": "x" * 201})
    assert too_long.status_code == 400
    shown = client.get("/dossiers", params={"q": '"><img src=x onerror=alert(1)>'})
    assert shown.status_code == 200
    assert "<img src=x" not in shown.text


def test_static_assets_are_served_by_the_node(staff_client: StaffClientFactory) -> None:
    client = staff_client()
    css = client.get("/static/app.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    js = client.get("/static/htmx-2.0.11.min.js")
    assert js.status_code == 200 and js.text.startswith("var htmx=")
    assert client.get("/static/../node/data/x").status_code == 404
