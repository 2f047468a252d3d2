"""The citizen's lookup and the ratings at the city (SQLite and PostgreSQL): the dossier as
the node replicated it, found by code and PIN, one answer for a wrong PIN and an unknown
code; ratings counted per commune, procedure and officer, a second one ignored by the fold."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from central.event_checks import EventCheckError, check_body
from central.runtime import CentralRuntime
from rules.actor import Role
from rules.event_kinds import DossierRated, LookupPinIssued
from tests.central.fake_node import FakeNode
from tests.support.city_client import CityClientFactory, token_client
from tests.support.city_client import city_client as city_client  # the fixture
from web.city_api.app import create_central_app

Client = TestClient[Litestar]
NODE_A = "xa-an-binh"
NODE_B = "phuong-hai-chau"


def replicate(runtime: CentralRuntime, node: FakeNode, first: int = 1) -> None:
    runtime.handler.handle(*node.birth())
    runtime.handler.handle(*node.batch(first, len(node.log)))


def returned(node: FakeNode, pin: str, name: str = "Nguyễn Văn An") -> str:
    dossier_id = node.receive(name=name)
    node._append(dossier_id, LookupPinIssued(dossier_id, pin))
    for action, src, dst in (("start", 2, 4), ("resolve", 4, 9), ("return_result", 9, 10)):
        node.transition(dossier_id, action, src, dst)
    return dossier_id


def rate(node: FakeNode, dossier_id: str, level: str, officer: str = "staff-1") -> None:
    node._append(dossier_id, DossierRated(dossier_id, level, "", officer))


@pytest.fixture
def public(runtime: CentralRuntime) -> Iterator[Client]:
    """An anonymous browser: no log-in, no token."""
    with TestClient(app=create_central_app(runtime)) as client:
        yield client


def test_the_city_finds_a_dossier_by_code_and_pin_and_says_nothing_else(
    public: Client, runtime: CentralRuntime
) -> None:
    a = FakeNode(NODE_A)
    returned(a, "135790")
    replicate(runtime, a)
    code = "000.00.15.H42-270201-0001"
    found = public.get("/lookup", params={"code": code, "pin": "135790"})
    assert found.status_code == 200 and "set-cookie" not in found.headers
    assert 'data-field="applicant">N.V.A.<' in found.text
    assert "<strong>Đã trả kết quả</strong>" in found.text
    for personal in ("Nguyễn Văn An", "001099012345", "0912345678", "Thôn 1", "staff-1"):
        assert personal not in found.text
    wrong = public.get("/lookup", params={"code": code, "pin": "135791"})
    unknown_code = code[:-4] + "0999"
    unknown = public.get("/lookup", params={"code": unknown_code, "pin": "135791"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.text.replace(code, "C") == unknown.text.replace(unknown_code, "C")
    assert "N.V.A." not in wrong.text and "Đăng ký kết hôn" not in wrong.text


def test_two_communes_sharing_a_code_each_open_with_their_own_pin(
    public: Client, runtime: CentralRuntime
) -> None:
    a, b = FakeNode(NODE_A), FakeNode(NODE_B)
    returned(a, "111111", name="Lê Văn Hùng")
    returned(b, "222222", name="Trần Thị Mai")
    replicate(runtime, a)
    replicate(runtime, b)
    code = "000.00.15.H42-270201-0001"  # the fake nodes' codes collide on purpose
    first = public.get("/lookup", params={"code": code, "pin": "111111"}).text
    second = public.get("/lookup", params={"code": code, "pin": "222222"}).text
    assert 'data-field="applicant">L.V.H.<' in first
    assert 'data-field="applicant">T.T.M.<' in second


def test_ratings_are_counted_per_commune_procedure_and_officer(
    api: Client, runtime: CentralRuntime
) -> None:
    a, b = FakeNode(NODE_A), FakeNode(NODE_B)
    one, two = returned(a, "111111"), returned(a, "222222")
    rate(a, one, "very_satisfied", officer="tiepnhan")
    rate(a, two, "dissatisfied", officer="chuyenvien")
    rate(a, one, "dissatisfied", officer="tiepnhan")  # a second rating: the fold ignores it
    open_one = a.receive()
    rate(a, open_one, "dissatisfied")  # before the result was returned: ignored too
    three = returned(b, "333333")
    rate(b, three, "satisfied")
    replicate(runtime, a)
    replicate(runtime, b)
    figures = api.get("/api/v1/indicators/ratings").json()
    assert figures["overall"]["total"] == 3
    assert figures["overall"]["dissatisfied"] == 1
    communes = {row["group"]: row for row in figures["by_commune"]}
    assert communes[NODE_A]["total"] == 2 and communes[NODE_A]["very_satisfied_share"] == 0.5
    assert communes[NODE_B]["satisfied_share"] == 1.0
    officers = {row["group"]: row["total"] for row in figures["by_officer"]}
    assert officers == {"tiepnhan": 1, "chuyenvien": 1, "staff-1": 1}
    assert [row["group"] for row in figures["by_procedure"]] == ["1.000894"]
    scoped = api.get("/api/v1/indicators/ratings", params={"node": NODE_B}).json()
    assert scoped["overall"]["total"] == 1
    later = api.get("/api/v1/indicators/ratings", params={"from": "2030-01-01"}).json()
    assert later["overall"]["total"] == 0 and later["overall"]["satisfied_share"] is None
    assert api.get("/api/v1/indicators/ratings", params={"node": "xa-khong"}).status_code == 404
    # Behind the log-in like every city figure; a commune-viewer sees only their commune.
    with TestClient(app=create_central_app(runtime)) as anonymous:
        assert anonymous.get("/api/v1/indicators/ratings").status_code == 401
    with token_client(runtime, "xem-an-binh", Role.COMMUNE_VIEWER, NODE_A) as commune:
        own = commune.get("/api/v1/indicators/ratings").json()
        assert [row["group"] for row in own["by_commune"]] == [NODE_A]
        other = commune.get("/api/v1/indicators/ratings", params={"node": NODE_B})
        assert other.status_code == 404
    bad = api.get("/api/v1/indicators/ratings", params={"from": "hôm qua"})
    assert bad.status_code == 400 and "from" in bad.text


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (DossierRated("d-1", "excellent"), "unknown level"),
        (DossierRated("d-1", "satisfied", "x" * 501), "comment over"),
        (DossierRated("d-1", "satisfied", "a\x1bb"), "control character"),
        (DossierRated("d-1", "satisfied", after="not an id!"), "after must name"),
        (DossierRated("d-2", "satisfied"), "is not the dossier id"),
    ],
)
def test_the_city_checks_a_rating_event(body: DossierRated, words: str) -> None:
    with pytest.raises(EventCheckError, match=words):
        check_body(body, "d-1")


def test_a_good_rating_event_passes_the_city_s_checks() -> None:
    check_body(DossierRated("d-1", "very_satisfied", "Tốt\nnhanh", "tiepnhan"), "d-1")


def test_the_city_s_ratings_page_shows_each_commune_to_whom_may_see_it(
    api: Client, runtime: CentralRuntime, city_client: CityClientFactory
) -> None:
    a, b = FakeNode(NODE_A), FakeNode(NODE_B)
    rate(a, returned(a, "111111"), "very_satisfied", officer="tiepnhan")
    rate(b, returned(b, "222222"), "dissatisfied")
    replicate(runtime, a)
    replicate(runtime, b)
    viewer = city_client(Role.CITY_VIEWER)
    html = viewer.get("/indicators/ratings").text
    communes = html.split('id="ratings-commune"', 1)[1].split("</table>", 1)[0]
    assert f'data-group="{NODE_A}"' in communes and f'data-group="{NODE_B}"' in communes
    assert 'data-group="tiepnhan"' in html
    bad = viewer.get("/indicators/ratings", params={"from": "01/02/2027"})
    assert bad.status_code == 400 and "NNNN-TT-NN" in bad.text
    commune = city_client(Role.COMMUNE_VIEWER, node=NODE_A)
    own = commune.get("/indicators/ratings").text
    assert f'data-group="{NODE_B}"' not in own and f'data-group="{NODE_A}"' in own
    assert commune.get("/indicators/ratings", params={"node": NODE_B}).status_code == 404
    with TestClient(app=create_central_app(runtime)) as anonymous:
        refused = anonymous.get("/indicators/ratings", follow_redirects=False)
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
