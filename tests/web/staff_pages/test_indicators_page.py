"""The indicators page and its CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import time

import pytest

from rules.actor import Role
from rules.clock import OFFICE_TZ, utc_now
from tests.node.helpers import act, create
from tests.support.clock import office_time
from tests.support.staff_client import StaffClientFactory


def _this_month() -> str:
    now = utc_now().astimezone(OFFICE_TZ)
    return f"{now.year:04d}-{now.month:02d}"


@pytest.fixture
def mid_morning() -> Iterator[None]:
    """10:00 office time: no month ends between receiving the dossiers and reading them."""
    with office_time(time(10, 0)):
        yield


def test_the_page_shows_charts_and_the_table_of_the_same_figures(
    staff_client: StaffClientFactory, mid_morning: None
) -> None:
    client = staff_client(Role.RECEPTION, Role.PROCESSING, Role.LEADER)
    for _ in range(3):
        create(client)
    page = client.get("/indicators")
    assert page.status_code == 200
    assert page.text.count("<svg") == 2 and '<title id="chart-received-title">' in page.text
    month = _this_month()
    label = f"{month[5:]}/{month[:4]}"
    row = page.text.split(f'<th scope="row">{label}</th>')[1].split("</tr>")[0]
    assert '<td class="num">3</td>' in row  # received this month

    exported = client.get("/indicators.csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Tháng", "Tiếp nhận", "Đã giải quyết xong"]
    assert len(rows) == 1 + 6  # six months by default
    assert rows[-1][0] == label and rows[-1][1] == "3"


def test_a_range_of_months_is_chosen_and_a_bad_one_is_a_message(
    staff_client: StaffClientFactory,
) -> None:
    client = staff_client(Role.LEADER)
    chosen = client.get("/indicators", params={"from": "2025-01", "to": "2025-03"})
    assert chosen.status_code == 200 and chosen.text.count('<th scope="row">') == 3
    csv_rows = client.get("/indicators.csv", params={"from": "2025-01", "to": "2025-03"})
    assert csv_rows.content.decode("utf-8-sig").count("\r\n") == 4

    bad = client.get("/indicators", params={"from": "2025-13", "to": "2025-03"})
    assert bad.status_code == 400 and "Tháng bắt đầu phải viết dạng" in bad.text
    assert 'value="2025-13"' in bad.text and "<svg" not in bad.text
    reversed_ = client.get("/indicators", params={"from": "2025-05", "to": "2025-03"})
    assert reversed_.status_code == 400 and "không trước tháng bắt đầu" in reversed_.text
    too_long = client.get("/indicators", params={"from": "2020-01", "to": "2025-03"})
    assert too_long.status_code == 400 and "tối đa 36 tháng" in too_long.text
    assert client.get("/indicators.csv", params={"from": "x"}).status_code == 400
    assert client.get("/indicators", params={"from": "2025-001"}).status_code == 400


def test_late_and_on_time_reach_the_chart(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION, Role.PROCESSING, Role.LEADER)
    dossier = create(client)
    for action in ("start", "resolve"):
        response = act(client, dossier["id"], action)
        assert response.status_code in (200, 201), response.text
    page = client.get("/indicators")
    assert "Đúng hạn 1" in page.text  # the bar's own title names its value
