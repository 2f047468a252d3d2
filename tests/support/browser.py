"""Real Chromium (Debian's package) driven by Playwright against a live ``motcua serve``.

Playwright is given the system executable; it never downloads a browser. Each test gets a
fresh browser context (its own cookies), so tests do not see each other's sessions.

``staff_browser(Role.RECEPTION)`` opens a page signed in as a staff member with those roles:
a real account is created in the node's database and the page logs in through the form.
``city_browser(Role.CITY_VIEWER)`` does the same at a live ``motcua central serve``
(``page_city``, with its own broker; ``node=`` for a commune-viewer).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from accounts import users
from accounts.sites import CITY_SITE
from central.accounts_db import open_accounts
from cli.common import operator
from node.runtime import open_node
from rules.actor import Role
from tests.support.accounts import PASSWORD, make_user, password_hash
from tests.support.live_node import LiveNode, start_node
from tests.support.mosquitto import Mosquitto
from tests.support.replication import Central, make_central

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling Google's hosts, which this
# closed network refuses; --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

StaffBrowserFactory = Callable[..., Page]
CityBrowserFactory = Callable[..., Page]


# The controls a person fills that have no name a screen reader (or Playwright's
# get_by_label) can find: no <label>, aria-label or aria-labelledby.
_UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea')]
  .filter(el => !(el.labels.length || el.getAttribute('aria-label')
                  || el.getAttribute('aria-labelledby')))
  .map(el => el.outerHTML)"""


def unlabelled_controls(page: Page) -> list[str]:
    """The form controls of the page shown that have no label (their HTML); [] is right."""
    found: list[str] = page.evaluate(_UNLABELLED)
    return found


def log_in(page: Page, user: str, password: str = PASSWORD, lands: str = "**/dossiers") -> None:
    """Through the log-in form, as staff do; lands on the dossier list (the city: the board)."""
    page.goto("/login")
    page.locator("#f-username").fill(user)
    page.locator("#f-password").fill(password)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(lands)


def new_page(chromium: Browser, contexts: list[BrowserContext], base_url: str, lang: str) -> Page:
    """A page in a fresh context (its own cookies) of a desktop-sized window; the context
    is added to ``contexts`` for the fixture to close."""
    context = chromium.new_context(
        base_url=base_url,
        viewport={"width": 1366, "height": 768},
        locale="vi-VN" if lang == "vi" else "en-GB",
    )
    contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def chromium() -> Iterator[Browser]:
    """One browser per test. Not per session: Playwright's sync API keeps an event loop
    running in this thread while it is open, and a later test of the same worker that calls
    ``asyncio.run`` would fail with "cannot be called from a running event loop"."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: scripts/setup-env installs it")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page_node(node_dir: Path) -> Iterator[LiveNode]:
    """A live node for browser tests (its own process and data directory)."""
    node = start_node(node_dir, timeout=120)  # a loaded CI machine starts it slowly
    yield node
    node.stop()


@pytest.fixture
def staff_browser(chromium: Browser, page_node: LiveNode) -> Iterator[StaffBrowserFactory]:
    contexts: list[BrowserContext] = []

    def make(*roles: Role, user: str = "", lang: str = "vi") -> Page:
        name = user or "-".join(sorted(str(r) for r in roles)) or "can-bo"
        rt = open_node(page_node.data_dir, check=False)
        try:
            make_user(rt.db, name, *roles)
        finally:
            rt.close()
        page = new_page(chromium, contexts, page_node.url, lang)
        log_in(page, name)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page_city(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Central]:
    """A live city data centre for browser tests (its own process, store and broker)."""
    central = make_central(tmp_path, f"mqtt://{mosquitto.host}:{mosquitto.port}")
    try:
        yield central.start()
    finally:
        central.proc.stop()


def make_city_account(city: Central, name: str, role: Role, node: str | None = None) -> None:
    """A city account (password PASSWORD) in a live city's accounts database."""
    db = open_accounts(city.data_dir)
    try:
        if users.find(db.read(), name) is None:
            users.add_hashed(
                db, operator("test"), name, [role.value], password_hash(), name,
                site=CITY_SITE, node_id=node,
            )  # fmt: skip
    finally:
        db.close()


@pytest.fixture
def city_browser(chromium: Browser, page_city: Central) -> Iterator[CityBrowserFactory]:
    contexts: list[BrowserContext] = []

    def make(role: Role, *, node: str | None = None, user: str = "", lang: str = "vi") -> Page:
        name = user or f"{role.value}-{node or 'city'}"
        make_city_account(page_city, name, role, node)
        page = new_page(chromium, contexts, page_city.url, lang)
        log_in(page, name, lands="**/board")
        return page

    yield make
    for context in contexts:
        context.close()
