"""The communes board, a commune's page and the city's indicators, by role, with their CSVs.

Two communes hold the indicator fixture of tests/rules/test_indicators.py (March 2026);
xa-bac is offline. Figures that do not depend on the day (open dossiers) are checked by
hand: in progress B D E F G, waiting for supplement E, waiting to be returned I, and
overdue B D F G (every deadline of the fixture is long past).
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from central.runtime import CentralRuntime
from central.sql_store import SqlCentralStore
from central.sql_tables import save_dossiers
from node.indicator_months import default_range
from rules.actor import Role
from rules.clock import utc_now
from sync import wire
from tests.central.test_board_queries import SOUTH_IDS
from tests.rules.test_indicators import FIXTURE
from tests.support.city_client import CityClientFactory

NORTH, SOUTH = "xa-bac", "xa-nam"
AT = "2026-03-20T05:00:00.000000Z"
MARCH = "from=2026-03&to=2026-03"


@pytest.fixture
def city(runtime: CentralRuntime) -> CentralRuntime:
    store = runtime.store
    assert isinstance(store, SqlCentralStore)
    for node in (NORTH, SOUTH):
        store.record_birth(wire.Birth(node, AT, 4, "0.2.0", 1, 0, 3_500_000_000), AT)
        states = [s for s in FIXTURE if (s.id in SOUTH_IDS) == (node == SOUTH)]
        with store._write(node) as tx:
            save_dossiers(tx, node, states)
    store.record_offline(wire.Offline(NORTH, AT, 1), AT)
    return runtime


def _csv(answer: object) -> list[list[str]]:
    assert getattr(answer, "status_code", None) == 200, getattr(answer, "text", "")[:300]
    assert answer.headers["content-type"].startswith("text/csv")  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))  # type: ignore[attr-defined]


def _row_ids(html: str) -> list[str]:
    return re.findall(r'<tr id="node-([a-z0-9-]+)"', html)


def test_a_viewer_sees_every_commune_worst_first_with_linked_counts(
    city: CentralRuntime, city_client: CityClientFactory
) -> None:
    html = city_client(Role.CITY_VIEWER).get("/board").text
    assert _row_ids(html) == [NORTH, SOUTH]  # the offline one first
    assert 'id="node-xa-bac" class="offline" data-online="no"' in html
    assert 'data-online="yes"' in html and "3,5 GB" in html and "0.2.0" in html
    # Totals on top, each a link to the dossiers behind it.
    assert 'href="/indicators/dossiers?figure=in_progress&amp;from=' in html
    assert re.search(r"Đang giải quyết: <strong>5</strong>", html)
    assert re.search(r'href="/dossiers\?overdue=1">Quá hạn: <strong>4</strong>', html)
    assert re.search(r'href="/dossiers\?status=5">Chờ bổ sung: <strong>1</strong>', html)
    # A row's count links to that commune's dossiers: I waits to be returned in the south.
    assert 'href="/dossiers?node=xa-nam&amp;status=9">1</a>' in html
    assert 'href="/communes/xa-nam"' in html


def test_the_board_as_csv_has_the_same_rows(
    city: CentralRuntime, city_client: CityClientFactory
) -> None:
    rows = _csv(city_client(Role.CITY_VIEWER).get("/board.csv"))
    assert rows[0][:3] == ["Xã/phường", "Trạng thái", "Từ lúc"] and rows[0][-1] == "Đã trả kết quả"
    assert [r[0] for r in rows[1:]] == [NORTH, SOUTH]
    assert rows[1][1] == "Mất kết nối" and rows[2][1] == "Trực tuyến"
    in_progress = rows[0].index("Đang giải quyết")
    assert sum(int(r[in_progress]) for r in rows[1:]) == 5


def test_a_commune_viewer_sees_only_its_commune(
    city: CentralRuntime, city_client: CityClientFactory
) -> None:
    viewer = city_client(Role.COMMUNE_VIEWER, node=SOUTH)
    html = viewer.get("/board").text
    assert _row_ids(html) == [SOUTH] and f"<strong>{SOUTH}</strong>" in html
    assert [r[0] for r in _csv(viewer.get("/board.csv"))[1:]] == [SOUTH]
    assert viewer.get(f"/communes/{SOUTH}").status_code == 200
    for path in [
        f"/communes/{NORTH}",
        f"/communes/{NORTH}/indicators.csv",
        f"/indicators/dossiers?figure=overdue&node={NORTH}",
        f"/indicators/dossiers.csv?figure=overdue&node={NORTH}",
    ]:
        refused = viewer.get(path)
        assert refused.status_code == 404, path
        assert ">X-" not in refused.text  # no dossier of it, as for a commune never seen
    # Its indicators and ranking count its own dossiers only.
    ranking = _csv(viewer.get("/indicators/ranking.csv?month=2026-03"))
    assert [r[1] for r in ranking[1:]] == [SOUTH]
    listed = _csv(viewer.get("/indicators/dossiers.csv?figure=overdue"))
    assert {r[1] for r in listed[1:]} == {SOUTH}


def test_a_commune_that_never_replicated_is_404(
    city: CentralRuntime, city_client: CityClientFactory
) -> None:
    viewer = city_client(Role.CITY_VIEWER)
    assert viewer.get("/communes/xa-khong-co").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/board",
        "/board.csv",
        f"/communes/{SOUTH}",
        f"/communes/{SOUTH}/indicators.csv",
        "/indicators",
        "/indicators.csv",
        "/indicators/ranking.csv",
        "/indicators/dossiers?figure=overdue",
        "/indicators/dossiers.csv?figure=overdue",
    ],
)
def test_anonymous_requests_are_refused(city: CentralRuntime, path: str) -> None:
    from web.city_api.app import create_central_app

    with TestClient[Litestar](app=create_central_app(city)) as anonymous:
        answer = anonymous.get(path, follow_redirects=False)
        assert answer.status_code in (303, 401), path
        assert SOUTH not in answer.text and "xa-bac" not in answer.text


def test_a_communes_page_has_its_details_months_and_charts(
    city: CentralRuntime, city_client: CityClientFactory
) -> None:
    viewer = city_client(Role.CITY_VIEWER)
    html = viewer.get(f"/communes/{SOUTH}?{MARCH}").text
    assert "<h1>Xã/phường xa-nam</h1>" in html and "Trực tuyến" in html
    # The node's details as the staff dossier page's facts (a grid of term and value).
    assert '<dl class="facts card" id="node-details">' in html
    assert _month_fields(html) == ("2026-03", "2026-03")
    assert html.count("<svg") == 2 and "chart-timeliness-title" in html
    # March: south received B E G I K (5); late: K; each count links to its dossiers.
    assert re.search(
        r'<th scope="row">03/2026</th>\s*<td class="num">'
        r'<a href="/dossiers\?node=xa-nam&amp;from=2026-03-01&amp;to=2026-03-31">5</a>',
        html,
    )
    assert (
        "/indicators/dossiers?figure=late&amp;node=xa-nam&amp;from=2026-03-01&amp;to=2026-03-31"
        in html
    )
    rows = _csv(viewer.get(f"/communes/{SOUTH}/indicators.csv?{MARCH}"))
    assert rows[0][0] == "Tháng" and rows[1][:2] == ["03/2026", "5"]
    bad = viewer.get(f"/communes/{SOUTH}?from=2026-13")
    assert bad.status_code == 400 and "from" in bad.text


def _month_fields(html: str) -> tuple[str, str]:
    """The values of the page's "from" and "to" month fields."""
    found = dict(re.findall(r'name="(from|to)" type="month" value="([^"]*)"', html))
    return found.get("from", "?"), found.get("to", "?")


@pytest.mark.parametrize("path", [f"/communes/{SOUTH}", "/indicators"])
def test_the_month_fields_show_the_range_shown(
    city: CentralRuntime, city_client: CityClientFactory, path: str
) -> None:
    """Asked for no months, a page shows the last twelve, and its fields say which (as the
    node's indicators page does), so the CSV link exports the same."""
    client = city_client(Role.CITY_VIEWER)
    before = _last_twelve()
    html = client.get(path).text
    first, last = _month_fields(html)
    assert (first, last) in {before, _last_twelve()}  # a month may turn meanwhile
    assert f"indicators.csv?from={first}&amp;to={last}" in html


def _last_twelve() -> tuple[str, str]:
    (first_year, first_month), (year, month) = default_range(utc_now(), 12)
    return f"{first_year:04d}-{first_month:02d}", f"{year:04d}-{month:02d}"


def test_the_citys_indicators_rank_the_communes_and_link_each_figure(
    city: CentralRuntime, city_client: CityClientFactory
) -> None:
    viewer = city_client(Role.CITY_VIEWER)
    html = viewer.get(f"/indicators?{MARCH}&month=2026-03").text
    assert html.count("<svg") == 2
    assert 'href="/indicators/ratings"' in html  # the citizens' satisfaction, a page apart
    # The city's March: received 9 (tests/rules/test_indicators.py), on-time rate 40.0 %.
    assert re.search(
        r'03/2026</th>\s*<td class="num">'
        r'<a href="/dossiers\?from=2026-03-01&amp;to=2026-03-31">9</a>',
        html,
    )
    assert '<td class="num">40.0</td>' in html
    ranking = _csv(viewer.get("/indicators/ranking.csv?month=2026-03"))
    assert ranking[0][:3] == ["Hạng", "Xã/phường", "Tiếp nhận"]
    assert sorted(r[1] for r in ranking[1:]) == [NORTH, SOUTH]
    assert [r[0] for r in ranking[1:]] == ["1", "2"]
    months = _csv(viewer.get(f"/indicators.csv?{MARCH}"))
    assert months[1][:2] == ["03/2026", "9"]


def test_the_dossiers_behind_a_figure_are_listed_and_exported(
    city: CentralRuntime, city_client: CityClientFactory
) -> None:
    viewer = city_client(Role.CITY_VIEWER)
    html = viewer.get("/indicators/dossiers?figure=overdue").text
    assert set(re.findall(r">X-([A-Z0-9]+)</a>", html)) == {"B", "D", "F", "G"}
    rows = _csv(viewer.get("/indicators/dossiers.csv?figure=late&from=2026-03-01&to=2026-03-31"))
    assert rows[0][:3] == ["Mã hồ sơ", "Xã/phường", "Trạng thái"]
    assert sorted(r[0] for r in rows[1:]) == ["X-H", "X-J", "X-K"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("figure=bogus", "figure"),
        ("figure=late&from=2026-02-30", "from"),
        ("figure=late&from=2026-03-10&to=2026-03-01", "to"),
    ],
)
def test_a_bad_figure_request_says_what_is_wrong(
    city: CentralRuntime, city_client: CityClientFactory, query: str, field: str
) -> None:
    answer = city_client(Role.CITY_VIEWER).get(f"/indicators/dossiers?{query}")
    assert answer.status_code == 400 and field in answer.text
