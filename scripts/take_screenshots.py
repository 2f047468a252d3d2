"""The README's screenshots (run through ``scripts/screenshots``): ``docs/screenshots/*.png``.

A throw-away node in a temporary folder gets what ``motcua demo`` gives a first look (the
sample catalog, the holidays, the sample dossiers, one account per role), one unfiled scan
taken by the real ingest, and a broker address nobody answers (so the sync page shows events
waiting). ``motcua serve`` serves it; Debian's Chromium (never a downloaded browser) logs in
through the form and saves each entry of ``SHOTS`` at 1366x768, the printed forms as
Chromium prints them (A4 PDF rendered to PNG). PNGs are reduced to a 256-colour palette.

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
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cli.demo_accounts import DEMO_PASSWORD, create_demo_accounts  # noqa: E402
from cli.demo_cmd import DEMO_AGENCY, DEMO_NODE, SAMPLE_DOSSIERS, seed  # noqa: E402
from cli.init_cmd import initialise  # noqa: E402
from node.runtime import open_node  # noqa: E402
from scanner_ingest.service import IngestService  # noqa: E402
from scanner_ingest.unfiled import list_unfiled  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, log_in  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1366, "height": 768}
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
assert {RECEIVED, RESOLVED, SUPPLEMENT} <= {row[0] for row in SAMPLE_DOSSIERS}


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
    code, _ = _code_and_pin(page, RESOLVED)
    page.goto(f"/rating?code={code}")
    page.get_by_label("Rất hài lòng", exact=True).check()
    page.locator("#comment").fill("Cán bộ hướng dẫn tận tình, trả kết quả đúng hẹn.")


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
    "scans": (lambda page: page.goto("/scans"), False),
    "scan": (scan, False),
    "sync": (lambda page: page.goto("/sync"), False),
    "indicators": (lambda page: page.goto("/indicators"), False),
    "admin": (lambda page: page.goto("/admin"), False),
    "accounts": (lambda page: page.goto("/admin/accounts"), False),
    "lookup": (lookup, False),
    "rating": (rating, False),
    "dossier-en": (dossier_english, False),  # last: it switches the user's language
}


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


def prepare(data_dir: Path, share: Path) -> None:
    """``motcua demo``'s node (seed and accounts), its office named, one unfiled scan."""
    nobody = "mqtt://127.0.0.1:1"
    initialise(data_dir, DEMO_AGENCY, DEMO_NODE, sample_catalog=True, broker=nobody)
    config = data_dir / "motcua.toml"
    text = config.read_text(encoding="utf-8")
    ingest = {"folder": [{"path": str(share), "name": "may-quet-1", "stable_seconds": 0.3}]}
    extra = tomli_w.dumps({"office": OFFICE, "ingest": ingest})
    config.write_text(text[: text.index("[office]")] + extra, encoding="utf-8")
    rt = open_node(data_dir)
    try:
        seed(rt)
        create_demo_accounts(rt, data_dir.parent)
        service = IngestService(rt)
        service.start()
        try:
            _scan_page(share / "giay-xac-nhan.png")
            deadline = time.monotonic() + 60
            while not list_unfiled(rt, 1, 0).items:
                if time.monotonic() > deadline:
                    raise SystemExit("the scan was not ingested within 60 s")
                time.sleep(0.2)
        finally:
            service.stop()
    finally:
        rt.close()


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


def main(names: list[str]) -> None:
    unknown = sorted(set(names) - set(SHOTS))
    if unknown:
        raise SystemExit(f"unknown shot(s) {unknown}; known: {list(SHOTS)}")
    chosen = [name for name in SHOTS if name in names] if names else list(SHOTS)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir, share = Path(tmp) / "demo" / "node", Path(tmp) / "share"
        share.mkdir()
        prepare(data_dir, share)
        port = _free_port()
        process = serve(data_dir, port, Path(tmp) / "serve.log")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    shoot(browser, f"http://127.0.0.1:{port}", chosen)
                finally:
                    browser.close()
        finally:
            process.terminate()
            process.wait(timeout=15)


if __name__ == "__main__":
    main(sys.argv[1:])
