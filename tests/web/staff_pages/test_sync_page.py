"""The sync page: read from the status structure the JSON API serves; every alarm shown."""

from __future__ import annotations

import msgspec
import pytest

from rules.actor import Role
from rules.clock_offset import ClockCheck
from tests.support.staff_client import StaffClientFactory
from uplink.status import LaneStatus, SyncStatus
from web.health import node_health
from web.staff_pages.sync_alarms import ALARM_TEXTS, alarm_codes, alarm_text


def _status(**changes: object) -> SyncStatus:
    base = SyncStatus(
        enabled=True,
        broker="mqtt://127.0.0.1:1",
        link="connected",
        connected_since="2026-01-05T08:00:00+07:00",
        last_error="",
        lanes={
            "control": LaneStatus(0, 0, None),
            "events": LaneStatus(12, 34_567, 3725.0),
            "blobs": LaneStatus(2, 2_500_000, 61.0),
        },
        acked_seq=30,
        head_seq=42,
        last_ack_at="2026-01-05T09:15:00+07:00",
        throughput_bytes_per_s=0.0,
        alarm=None,
        state_updated_at="2026-01-05T09:16:00+07:00",
    )
    return msgspec.structs.replace(base, **changes)


def test_a_node_without_sync_says_so_and_matches_the_api(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION)
    api = client.get("/api/v1/sync/status").json()
    page = client.get("/sync")
    assert page.status_code == 200 and api["link"] == "off"
    assert "Chưa cấu hình đồng bộ" in page.text and 'data-link="off"' in page.text
    assert 'hx-get="/sync/panel"' in page.text and 'href="/sync"' in page.text  # works without JS
    panel = client.get("/sync/panel")
    assert (
        panel.status_code == 200 and 'id="sync-panel"' in panel.text and "<html" not in panel.text
    )


def test_lanes_ages_sizes_and_the_last_ack(
    staff_client: StaffClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(node_health, "sync_status", lambda rt: _status())
    page = staff_client(Role.RECEPTION).get("/sync").text
    assert "Đã kết nối với thành phố" in page
    events = page.split('data-lane="events"')[1].split("</tr>")[0]
    assert ">12<" in events and "34,6 kB" in events and "1 giờ 2 phút" in events
    blobs = page.split('data-lane="blobs"')[1].split("</tr>")[0]
    assert "2,5 MB" in blobs and "1 phút 1 giây" in blobs
    assert "05/01/2026 09:15" in page and "30 / 42" in page


def test_the_clock_against_the_citys_is_shown_or_said_unmeasured(
    staff_client: StaffClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = staff_client(Role.RECEPTION)
    monkeypatch.setattr(node_health, "sync_status", lambda rt: _status())
    assert "Chưa đo (thành phố chưa xác nhận lần nào)" in client.get("/sync").text
    # The city's clock 90.4 s behind this one: this clock leads by +90.4 s.
    clock = ClockCheck(None, -90.4, 0.25, "2026-01-05T02:00:00Z", 120.0, "")
    monkeypatch.setattr(node_health, "sync_status", lambda rt: _status(clock=clock))
    shown = client.get("/sync").text.split("data-clock>")[1].split("</dd>")[0]
    assert shown == "+90.4 giây (± 0.2)"


@pytest.mark.parametrize("code", sorted(ALARM_TEXTS))
def test_each_known_alarm_is_explained_in_vietnamese(
    staff_client: StaffClientFactory, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    detail = "<b>seq 7</b>"
    monkeypatch.setattr(
        node_health, "sync_status", lambda rt: _status(alarm=code, last_error=detail)
    )
    page = staff_client(Role.RECEPTION).get("/sync").text
    text = ALARM_TEXTS[code]
    assert f'data-alarm="{code}"' in page and text.title in page and text.action in page
    assert "&lt;b&gt;seq 7&lt;/b&gt;" in page and detail not in page


class _WithAlarmList(msgspec.Struct, frozen=True):
    """A status shape another branch may bring: several alarms at once."""

    alarm: str | None
    alarms: list[object]


class _Alarm(msgspec.Struct, frozen=True):
    code: str


def test_every_alarm_a_status_carries_is_found_once() -> None:
    status = _WithAlarmList(
        alarm="log_diverged", alarms=["clock_skew", _Alarm("log_diverged"), {"code": "x"}, 3]
    )
    assert alarm_codes(status) == ["log_diverged", "clock_skew", "x"]
    assert alarm_codes(_status()) == []


def test_an_unknown_alarm_still_shows_with_its_code(
    staff_client: StaffClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not alarm_text("disk_almost_full").known
    monkeypatch.setattr(node_health, "sync_status", lambda rt: _status(alarm="disk_almost_full"))
    page = staff_client(Role.RECEPTION).get("/sync/panel").text
    assert "Cảnh báo đồng bộ" in page and "disk_almost_full" in page
