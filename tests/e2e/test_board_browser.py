"""A city viewer watches the communes board follow a node going offline and coming back.

Real processes (Mosquitto, ``motcua sync`` on the node, ``motcua central serve``) and real
Chromium. The presence shown must be true whichever starts first: a node started before
the city announces itself again when the city comes up (its retained state), a node started
after it sends its Birth to a city already listening. The board is polled by reloading it;
nothing sleeps.
"""

from __future__ import annotations

from pathlib import Path

import apsw
import pytest
from playwright.sync_api import Browser, Page

from accounts import users
from accounts.sites import CITY_SITE
from central.accounts_db import open_accounts
from cli.common import operator
from tests.support.accounts import PASSWORD, password_hash
from tests.support.mosquitto import Mosquitto
from tests.support.replication import make_central, make_node, sync_proc
from tests.support.wait import wait_until

NODE = "xa-bang-tin"
VIEWER = "xem-bang"
FAST = {"ack_timeout_seconds": "2.0"}


def make_viewer(data_dir: Path) -> None:
    """A city viewer account (the accounts code ``motcua central user add`` runs)."""
    db = open_accounts(data_dir)
    try:
        users.add_hashed(db, operator("test"), VIEWER, ["viewer"], password_hash(), site=CITY_SITE)
    finally:
        db.close()


def link_up(node_dir: Path) -> bool:
    """Whether the node's link says it is connected (``sync_link``), waiting out its writer."""
    conn = apsw.Connection(str(node_dir / "motcua.sqlite3"), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        conn.setbusytimeout(10_000)
        row = conn.execute("SELECT value FROM sync_link WHERE key = 'connected'").fetchone()
        return row is not None and str(row[0]) == "1"
    finally:
        conn.close()


def shown_state(page: Page) -> str:
    """The node's row as the board shows it now: its presence text, or "" if no row."""
    page.reload()
    row = page.locator(f"#node-{NODE}")
    if row.count() == 0:
        return ""
    return row.locator("td.presence").inner_text().strip()


def wait_shown(page: Page, text: str, what: str) -> None:
    wait_until(
        lambda: shown_state(page) == text,
        timeout=90,
        interval=0.3,
        what=f"{what} (the board shows {shown_state(page)!r})",
    )


@pytest.mark.parametrize("order", ["node_first", "city_first"])
def test_the_board_shows_a_node_go_offline_and_come_back(
    tmp_path: Path, broker: Mosquitto, chromium: Browser, order: str
) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    node_dir = make_node(tmp_path, NODE, url, sync=FAST)
    central = make_central(tmp_path, url)
    make_viewer(central.data_dir)
    sender = sync_proc(node_dir)
    context = chromium.new_context(base_url=central.url, viewport={"width": 1366, "height": 768})
    try:
        if order == "node_first":
            sender.start()
            wait_until(lambda: link_up(node_dir), timeout=60, what="the node's link up")
            central.start(timeout=120)
        else:
            central.start(timeout=120)
            sender.start()
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto("/login")
        page.locator("#f-username").fill(VIEWER)
        page.locator("#f-password").fill(PASSWORD)
        page.locator("form[action='/login'] button[type=submit]").click()
        page.wait_for_url("**/board")
        wait_shown(page, "Trực tuyến", f"the node online ({order})")
        assert page.locator(f"#node-{NODE}").get_attribute("data-online") == "yes"

        sender.stop()  # a clean stop sends its death itself
        wait_shown(page, "Mất kết nối", "the node offline after it stopped")
        assert page.locator(f"#node-{NODE}").get_attribute("data-online") == "no"
        assert page.locator("#total-offline").inner_text() == "1"

        sender.start()
        wait_shown(page, "Trực tuyến", "the node online again")
        assert page.locator("#total-online").inner_text() == "1"
    finally:
        context.close()
        sender.stop()
        central.proc.stop()
