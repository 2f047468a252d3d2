"""The README's screenshots (run through ``scripts/screenshots``): ``docs/screenshots/*.png``.

A throw-away node in a temporary folder gets what ``motcua demo`` gives a first look (the
sample catalog, the holidays, the sample dossiers, one account per role), then the steps its
staff take on three of the dossiers so that forms 03 to 05 apply (``STEPS``: the service
calls, as the demo account of the role each action needs), one unfiled scan taken by the real
ingest (only when the scans are shot), and a broker address nobody answers yet (so the sync
page shows events waiting). ``motcua serve`` serves it; Debian's Chromium
(never a downloaded browser) logs in through the form and saves each entry of ``SHOTS`` at
1366x768, the printed forms as Chromium prints them (A4 PDF rendered to PNG). PNGs are
reduced to a 256-colour palette.

The city's shots (``CITY_SHOTS``) come last: then, as ``motcua demo`` does, a Mosquitto
broker starts on that address and a city data centre (``motcua central serve``, with the
demo's city accounts) behind it; once the node's dossiers have reached the city and the node
shows online there, Chromium logs in at the city as its administrator.

    scripts/screenshots                  # every shot
    scripts/screenshots dossier form-01  # some of them
"""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pypdfium2 as pdfium
import tomli_w
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from accounts import users  # noqa: E402
from cli.demo_accounts import (  # noqa: E402
    CITY_ADMIN,
    CITY_TOKEN_FILE,
    DEMO_PASSWORD,
    create_demo_accounts,
)
from cli.demo_cmd import DEMO_AGENCY, DEMO_NODE, SAMPLE_DOSSIERS, seed  # noqa: E402
from cli.demo_stack import start_broker, start_central, stop_all  # noqa: E402
from cli.init_cmd import SHIPPED_CALENDARS, initialise  # noqa: E402
from node import dossier_store  # noqa: E402
from node.dossier_service import transition  # noqa: E402
from node.runtime import NodeRuntime, open_node  # noqa: E402
from rules.clock import utc_now  # noqa: E402
from rules.due_dates import TimeUnit, compute_due  # noqa: E402
from rules.lifecycle import Action  # noqa: E402
from rules.transitions import TransitionRequest  # noqa: E402
from scanner_ingest.service import IngestService  # noqa: E402
from scanner_ingest.unfiled import list_unfiled  # noqa: E402
from storage.dossier_rows import DossierFilter  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, log_in  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}
OFFICE = {
    "name": "Trung tâm Phục vụ hành chính công xã An Bình",
    "parent": "ỦY BAN NHÂN DÂN XÃ AN BÌNH",
    "place": "An Bình",
    "city_public_url": "https://dichvucong.example.gov.vn",
}
# The sample dossiers the shots show (names from cli.demo_cmd.SAMPLE_DOSSIERS).
RECEIVED = "Trần Thị Mai"  # just received: form 01
RESOLVED = "Nguyễn Văn Đức"  # started and resolved: a full timeline
SUPPLEMENT = "Võ Thị Lan"  # a supplement asked: form 02
REFUSED = "Phạm Thị Hường"  # an online request refused before acceptance: form 03
LATE = "Đặng Quốc Bảo"  # overdue, given an apology and a new appointment: form 04
STOPPED = "Lê Hoàng Nam"  # withdrawn at the citizen's request, then stopped: form 05
assert {RECEIVED, RESOLVED, SUPPLEMENT, REFUSED, LATE, STOPPED} <= {r[0] for r in SAMPLE_DOSSIERS}
# What the office's staff did after the seed, in order: (applicant, the demo account whose
# role the action needs, the action, its note: the reason the form prints).
STEPS = [
    (
        REFUSED,
        "lanhdao",
        Action.REFUSE,
        "Ông/Bà thường trú tại tỉnh khác, không thuộc phạm vi giải quyết của xã An Bình. "
        "Đề nghị Ông/Bà nộp hồ sơ tại Ủy ban nhân dân cấp xã nơi thường trú.",
    ),
    (
        LATE,
        "lanhdao",
        Action.RESCHEDULE,
        "Cần xác minh thông tin trên Giấy báo tử với cơ sở y tế đã cấp; "
        "đến nay cơ sở y tế chưa có văn bản trả lời.",
    ),
    (STOPPED, "tiepnhan", Action.WITHDRAW, "Công dân nộp đơn đề nghị rút hồ sơ tại quầy."),
    (
        STOPPED,
        "lanhdao",
        Action.STOP,
        "Ông/Bà có đơn đề nghị rút hồ sơ để nộp lại khi có đủ bản chính giấy tờ cần chứng thực.",
    ),
]


def dossier_path(page: Page, applicant: str, suffix: str = "") -> str:
    """The dossier page (or one of its forms) of a sample applicant, found through the list."""
    page.goto("/dossiers?q=" + applicant)
    href = page.locator("table a[href^='/dossiers/']").first.get_attribute("href")
    assert href, f"no dossier of {applicant} in the list"
    return href + suffix


def reception(page: Page) -> None:
    page.goto("/dossiers/new")
    page.get_by_label("Tìm thủ tục theo tên hoặc mã").fill("ket hon")
    page.get_by_role("radio", name="1.000894 · Đăng ký kết hôn").check()
    page.locator("#appointment-preview").wait_for()
    page.get_by_label("Họ và tên").first.fill("Nguyễn Thị Hoa")
    page.get_by_label("Số điện thoại").first.fill("0912345678")


def scan(page: Page) -> None:
    page.goto("/scans")
    page.get_by_role("link", name="Xem và gán").first.click()
    page.get_by_role("searchbox").fill("nguyen")
    page.get_by_role("button", name="Tìm").click()


def _code_and_pin(page: Page, applicant: str) -> tuple[str, str]:
    found = page.request.get("/api/v1/dossiers", params={"q": applicant}).json()["items"][0]
    return str(found["code"]), str(found["lookup_pin"])


def lookup(page: Page) -> None:
    """The citizen's lookup, as the slip's QR opens it (the page is public)."""
    code, pin = _code_and_pin(page, RESOLVED)
    page.goto(f"/lookup?code={code}&pin={pin}")


def rating(page: Page) -> None:
    """The kiosk's rating form, filled as a citizen would (the code from the slip's QR)."""
    code, pin = _code_and_pin(page, RESOLVED)
    page.goto(f"/rating?code={code}")
    page.locator("#pin").fill(pin)
    page.get_by_label("Rất hài lòng", exact=True).check()
    page.locator("#comment").fill("Cán bộ hướng dẫn tận tình, trả kết quả đúng hẹn.")


def admin_preview(page: Page) -> None:
    """The last shipped calendar (next year's) uploaded with the one entry its own comment
    says to uncomment once the day is law (Ngày Văn hóa Việt Nam, 24/11): the preview shows
    that day added. Never confirmed, so nothing is imported."""
    shipped, mark = SHIPPED_CALENDARS[-1], "# Uncomment only once"
    head, found, tail = shipped.read_text(encoding="utf-8").partition(mark)
    entry = "\n".join(line.removeprefix("# ") for line in tail.splitlines()[1:])
    if not found or "[[day]]" not in entry:
        raise SystemExit(f"{shipped} has no commented-out day after {mark!r} to uncomment")
    page.goto("/admin")
    form = page.locator("form[action='/admin/import/calendar']")
    form.locator("input[type=file]").set_input_files(
        {
            "name": shipped.name,
            "mimeType": "application/toml",
            "buffer": f"{head}{entry}\n".encode(),
        }
    )
    form.get_by_role("button", name="Xem trước thay đổi").click()
    page.locator("table.diff-added").wait_for()


def dossier_english(page: Page) -> None:
    page.goto(dossier_path(page, RESOLVED))
    page.get_by_role("button", name="English").click()
    page.wait_for_selector("html[lang=en]")


# name: (how to reach the view, printed as an A4 form?)
SHOTS: dict[str, tuple[Callable[[Page], object], bool]] = {
    "login": (lambda page: page.goto("/login"), False),
    "dossier-list": (lambda page: page.goto("/dossiers"), False),
    "reception": (reception, False),
    "dossier": (lambda page: page.goto(dossier_path(page, RESOLVED)), False),
    "form-01": (lambda page: page.goto(dossier_path(page, RECEIVED, "/forms/01")), True),
    "form-02": (lambda page: page.goto(dossier_path(page, SUPPLEMENT, "/forms/02")), True),
    "form-03": (lambda page: page.goto(dossier_path(page, REFUSED, "/forms/03")), True),
    "form-04": (lambda page: page.goto(dossier_path(page, LATE, "/forms/04")), True),
    "form-05": (lambda page: page.goto(dossier_path(page, STOPPED, "/forms/05")), True),
    "scans": (lambda page: page.goto("/scans"), False),
    "scan": (scan, False),
    "sync": (lambda page: page.goto("/sync"), False),
    "indicators": (lambda page: page.goto("/indicators"), False),
    "admin": (lambda page: page.goto("/admin"), False),
    "admin-preview": (admin_preview, False),
    "accounts": (lambda page: page.goto("/admin/accounts"), False),
    "lookup": (lookup, False),
    "rating": (rating, False),
    "dossier-en": (dossier_english, False),  # last: it switches the user's language
}
# The city's pages, shot after the node's (name: how to reach the view).
CITY_SHOTS: dict[str, Callable[[Page], object]] = {
    "board": lambda page: page.goto("/board"),
    "commune": lambda page: page.goto(f"/communes/{DEMO_NODE}"),
}
# The shots that show the unfiled scan (the only ones that need the ingest to run).
SCAN_SHOTS = {"scans", "scan"}
# How long the ingest and the replication may take on a loaded machine.
WAIT_SECONDS = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scan_page(path: Path) -> None:
    sheet = Image.new("L", (620, 877), 255)
    draw = ImageDraw.Draw(sheet)
    draw.text((60, 60), "GIAY XAC NHAN TINH TRANG HON NHAN", fill=0)
    for y in range(120, 800, 24):
        draw.line((60, y, 560, y), fill=180)
    sheet.save(path)


def prepare(data_dir: Path, share: Path, broker: str, with_scan: bool) -> None:
    """``motcua demo``'s node (seed and accounts), its office named, the staff's ``STEPS``,
    one unfiled scan (if ``with_scan``); it replicates to ``broker``, which nobody answers
    until the city starts."""
    initialise(data_dir, DEMO_AGENCY, DEMO_NODE, sample_catalog=True, broker=broker)
    config = data_dir / "motcua.toml"
    text = config.read_text(encoding="utf-8")
    ingest = {"folder": [{"path": str(share), "name": "may-quet-1", "stable_seconds": 0.3}]}
    extra = tomli_w.dumps({"office": OFFICE, "ingest": ingest})
    config.write_text(text[: text.index("[office]")] + extra, encoding="utf-8")
    rt = open_node(data_dir)
    try:
        seed(rt)
        create_demo_accounts(rt, data_dir.parent)
        take_steps(rt)
        if with_scan:
            ingest_scan(rt, share)
    finally:
        rt.close()


def take_steps(rt: NodeRuntime) -> None:
    """``STEPS`` through the dossier service, each as its demo account (whose roles the
    service checks); a reschedule's new appointment is counted on the node's calendar."""
    for applicant, user, action, note in STEPS:
        found, total = dossier_store.query(rt.db.read(), DossierFilter(q=applicant))
        account = users.find(rt.db.read(), user)
        if total != 1 or account is None:
            raise SystemExit(f"need 1 dossier of {applicant!r} ({total} found), account {user!r}")
        due_at = None
        if action is Action.RESCHEDULE:  # two working days on, as the office would promise
            cal = rt.reference.calendar(rt.db.read())
            due_at = compute_due(cal, utc_now(), 2, TimeUnit.WORKING_DAYS)
        request = TransitionRequest(action, note=note, due_at=due_at)
        transition(rt, found[0].id, request, account.actor())


def ingest_scan(rt: NodeRuntime, share: Path) -> None:
    """One page dropped in the scanner's share, taken by the real ingest (unfiled)."""
    service = IngestService(rt)
    service.start()
    try:
        _scan_page(share / "giay-xac-nhan.png")
        deadline = time.monotonic() + WAIT_SECONDS
        while not list_unfiled(rt, 1, 0).items:
            if time.monotonic() > deadline:
                raise SystemExit(f"the scan was not ingested within {WAIT_SECONDS} s")
            time.sleep(0.2)
    finally:
        service.stop()


def start_city(root: Path, broker_port: int, city_port: int) -> str:
    """The broker the node already points at, and a city data centre with the demo's city
    accounts; returns the city's URL once the node shows online there with every dossier."""
    root.mkdir(parents=True, exist_ok=True)
    start_broker(root, broker_port)
    start_central(root, f"mqtt://127.0.0.1:{broker_port}", city_port)
    url = f"http://127.0.0.1:{city_port}"
    token = (root / CITY_TOKEN_FILE).read_text().strip()
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            nodes = httpx.get(f"{url}/api/v1/nodes", headers=headers, timeout=5).json()
        except (httpx.HTTPError, ValueError):
            nodes = []
        row = next((n for n in nodes if n.get("node_id") == DEMO_NODE), None)
        if row and row["online"] and row["dossiers"] >= len(SAMPLE_DOSSIERS):
            return url
        time.sleep(1)
    log = (root / "central.log").read_text(errors="replace")[-3000:]
    raise SystemExit(f"{DEMO_NODE} did not reach the city within {WAIT_SECONDS} s:\n{log}")


def serve(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "cli", "serve", "--data-dir", str(data_dir)]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"motcua serve did not start:\n{log.read_text(errors='replace')}")


def save_small(image: Image.Image, name: str) -> None:
    """A 256-colour palette PNG: screens are flat colours and text, a tenth of the bytes."""
    path = OUT / f"{name}.png"
    image.convert("RGB").quantize(256, dither=Image.Dither.NONE).save(path, optimize=True)
    print(f"{path.relative_to(ROOT)} {path.stat().st_size // 1024} KiB")


def shoot(browser: Browser, base_url: str, names: list[str]) -> None:
    context = browser.new_context(base_url=base_url, viewport=VIEWPORT, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        for name in names:
            if name == "login":
                page.goto("/login")
            elif page.url.endswith("/login") or page.url == "about:blank":
                log_in(page, "motcua", DEMO_PASSWORD)
            reach, printed = SHOTS[name]
            reach(page)
            page.wait_for_load_state("networkidle")
            if printed:
                pdf = page.pdf(format="A4", prefer_css_page_size=True)
                document = pdfium.PdfDocument(pdf)
                try:
                    save_small(document[0].render(scale=110 / 72).to_pil(), name)
                finally:
                    document.close()
            else:
                save_small(Image.open(io.BytesIO(page.screenshot())), name)
    finally:
        context.close()


def shoot_city(browser: Browser, base_url: str, names: list[str]) -> None:
    context = browser.new_context(base_url=base_url, viewport=VIEWPORT, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, CITY_ADMIN, DEMO_PASSWORD, lands="**/board")
        for name in names:
            CITY_SHOTS[name](page)
            page.wait_for_load_state("networkidle")
            save_small(Image.open(io.BytesIO(page.screenshot())), name)
    finally:
        context.close()


def main(names: list[str]) -> None:
    known = [*SHOTS, *CITY_SHOTS]
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise SystemExit(f"unknown shot(s) {unknown}; known: {known}")
    chosen = [name for name in SHOTS if name in names] if names else list(SHOTS)
    city = [name for name in CITY_SHOTS if name in names] if names else list(CITY_SHOTS)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir, share = Path(tmp) / "demo" / "node", Path(tmp) / "share"
        share.mkdir()
        broker_port = _free_port()
        broker = f"mqtt://127.0.0.1:{broker_port}"
        prepare(data_dir, share, broker, with_scan=bool(SCAN_SHOTS & set(chosen)))
        port = _free_port()
        process = serve(data_dir, port, Path(tmp) / "serve.log")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    shoot(browser, f"http://127.0.0.1:{port}", chosen)
                    if city:
                        city_url = start_city(Path(tmp) / "city", broker_port, _free_port())
                        shoot_city(browser, city_url, city)
                finally:
                    browser.close()
        finally:
            process.terminate()
            process.wait(timeout=15)
            stop_all()  # the city and the broker, if they started


if __name__ == "__main__":
    main(sys.argv[1:])
