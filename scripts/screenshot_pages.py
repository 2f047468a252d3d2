"""Take the staff pages' screenshots (run through ``scripts/screenshots``).

A node is created in a temporary folder with the demo's sample dossiers, one unfiled scan
(taken by the real ingest) and a broker address nobody answers (so the sync page shows
events waiting), then served by ``motcua serve``. Each page below is opened in Chromium at
1366x768 and saved to ``docs/screenshots/<name>.png``. Add a page by adding a line to PAGES.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import tomli_w
from PIL import Image, ImageDraw
from playwright.sync_api import Page, sync_playwright

from cli.demo_cmd import DEMO_AGENCY, DEMO_NODE, seed
from cli.init_cmd import initialise
from node.runtime import open_node
from scanner_ingest.service import IngestService
from scanner_ingest.unfiled import list_unfiled

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
# Until log-in exists the node takes the actor from this header (all roles).
ACTOR = {"X-Actor": "quan-tri"}


def _open_first_scan(page: Page) -> None:
    page.goto("/scans")
    page.get_by_role("link", name="Xem và gán").first.click()
    page.get_by_role("searchbox").fill("nguyen")
    page.get_by_role("button", name="Tìm").click()


PAGES: dict[str, Callable[[Page], object]] = {
    "scans": lambda page: page.goto("/scans"),
    "scan": _open_first_scan,
    "sync": lambda page: page.goto("/sync"),
    "indicators": lambda page: page.goto("/indicators"),
    "admin": lambda page: page.goto("/admin"),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scan_page(path: Path) -> None:
    page = Image.new("L", (620, 877), 255)
    draw = ImageDraw.Draw(page)
    draw.text((60, 60), "GIAY XAC NHAN TINH TRANG HON NHAN", fill=0)
    for y in range(120, 800, 24):
        draw.line((60, y, 560, y), fill=180)
    page.save(path)


def prepare(data_dir: Path, share: Path) -> None:
    initialise(
        data_dir,
        DEMO_AGENCY,
        DEMO_NODE,
        sample_catalog=True,
        broker=f"mqtt://127.0.0.1:{_free_port()}",
    )
    section = {
        "ingest": {"folder": [{"path": str(share), "name": "may-quet-1", "stable_seconds": 0.3}]}
    }
    with (data_dir / "motcua.toml").open("a", encoding="utf-8") as f:
        f.write("\n" + tomli_w.dumps(section))
    rt = open_node(data_dir)
    try:
        seed(rt)
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
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cli",
                "serve",
                "--data-dir",
                str(data_dir),
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
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


def main(names: list[str]) -> None:
    unknown = sorted(set(names) - set(PAGES))
    if unknown:
        raise SystemExit(f"unknown page(s) {unknown}; known: {sorted(PAGES)}")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir, share = Path(tmp) / "node", Path(tmp) / "share"
        share.mkdir()
        prepare(data_dir, share)
        port = _free_port()
        process = serve(data_dir, port, Path(tmp) / "serve.log")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
                context = browser.new_context(
                    base_url=f"http://127.0.0.1:{port}",
                    viewport={"width": 1366, "height": 768},
                    extra_http_headers=ACTOR,
                )
                page = context.new_page()
                for name in names or list(PAGES):
                    PAGES[name](page)
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(OUT / f"{name}.png"))
                    print(OUT / f"{name}.png")
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=15)


if __name__ == "__main__":
    main(sys.argv[1:])
