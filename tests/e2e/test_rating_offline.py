"""A citizen rates a returned dossier on the office's kiosk page (real Chromium) while the
node's link to the city is down; the rating is in the node's log at once, and reaches the
city's ratings indicators when the link returns (real Mosquitto, real processes; the fault
proxy between the node and the broker makes the link down)."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Browser

from tests.node.helpers import create_body
from tests.support.fault_proxy import FaultProxy
from tests.support.live_node import start_node
from tests.support.mosquitto import Mosquitto
from tests.support.replication import make_central, make_node
from tests.support.wait import wait_until

NODE = "xa-danh-gia"
RATINGS = "/api/v1/indicators/ratings"


def test_a_rating_made_with_the_link_down_reaches_the_city(
    tmp_path: Path, broker: Mosquitto, chromium: Browser
) -> None:
    proxy = FaultProxy(broker.host, broker.port)
    central = make_central(tmp_path, f"mqtt://{broker.host}:{broker.port}")
    node_dir = make_node(tmp_path, NODE, f"mqtt://{proxy.host}:{proxy.port}")
    central.start(timeout=120)
    node = start_node(node_dir, timeout=120)  # serves the pages and replicates
    try:
        with httpx.Client(base_url=node.url, headers=node.headers, timeout=30) as staff:
            created = staff.post("/api/v1/dossiers", json=create_body())
            assert created.status_code == 201, created.text
            dossier = created.json()
            for action in ("start", "resolve", "return_result"):
                moved = staff.post(
                    f"/api/v1/dossiers/{dossier['id']}/transitions", json={"action": action}
                )
                assert moved.status_code == 201, moved.text

        def returned_at_city() -> bool:
            found = httpx.get(
                f"{central.url}/api/v1/dossiers/{dossier['id']}", headers=central.headers
            )
            return found.status_code == 200 and found.json()["status"] == 10

        wait_until(returned_at_city, timeout=120, what="the returned dossier at the city")

        proxy.refuse()  # the link goes down: no new connection, the open one reset
        proxy.cut()
        kiosk = chromium.new_context(base_url=node.url, locale="vi-VN")
        try:
            page = kiosk.new_page()
            page.set_default_timeout(30_000)
            page.goto(f"/rating?code={dossier['code']}")
            page.locator("#pin").fill(dossier["lookup_pin"])
            page.get_by_label("Rất hài lòng", exact=True).check()
            page.locator("#comment").fill("Cán bộ hướng dẫn tận tình")
            page.get_by_role("button", name="Gửi đánh giá").click()
            page.locator("[data-rated]").wait_for()
            assert kiosk.cookies() == []
        finally:
            kiosk.close()
        # In the node's log and its lookup at once, link or no link; not at the city yet.
        shown = httpx.get(
            f"{node.url}/lookup", params={"code": dossier["code"], "pin": dossier["lookup_pin"]}
        )
        assert "Đánh giá mức độ hài lòng" in shown.text
        before = httpx.get(f"{central.url}{RATINGS}", headers=central.headers).json()
        assert before["overall"]["total"] == 0

        proxy.refuse(False)  # the link returns

        def counted() -> bool:
            figures = httpx.get(f"{central.url}{RATINGS}", headers=central.headers).json()
            return bool(figures["overall"]["total"] == 1)

        wait_until(counted, timeout=120, what="the rating in the city's indicators")
        figures = httpx.get(f"{central.url}{RATINGS}", headers=central.headers).json()
        assert [(r["group"], r["very_satisfied"]) for r in figures["by_commune"]] == [(NODE, 1)]
        assert [r["group"] for r in figures["by_officer"]] == ["can-bo"]
        assert figures["by_procedure"][0]["very_satisfied_share"] == 1.0
    finally:
        node.stop()
        central.proc.stop()
        proxy.close()
