"""Take the staff pages' screenshots (run through ``scripts/screenshots``).

A node with the sample catalog and a few demo dossiers in several states is started in a
temporary folder; each entry of ``SHOTS`` opens a page and saves ``docs/screenshots/<name>.png``.
Add a page by adding a function to ``SHOTS``.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cli.init_cmd import initialise  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.live_node import start_node  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
ACTOR = {"X-Actor": "nguyen.thi.lan"}
PEOPLE = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thu Dung", "Hoàng Minh Đức"]
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def seed(api: httpx.Client) -> dict[str, str]:
    """A handful of dossiers: received, processing, a supplement asked, resolved, returned."""
    procedures = [p["code"] for p in api.get("/api/v1/procedures").json()[:5]]
    ids = []
    for n, name in enumerate(PEOPLE * 2):
        body = {
            "procedure_code": procedures[n % len(procedures)],
            "channel": "in_person",
            "applicant": {"full_name": name, "phone": f"09123456{n:02d}"},
        }
        created = api.post("/api/v1/dossiers", json=body)
        created.raise_for_status()
        ids.append(created.json()["id"])
    steps = [
        ["start"],
        ["start", "request_supplement"],
        ["start", "resolve"],
        ["start", "resolve", "return_result"],
    ]
    for dossier_id, actions in zip(ids[1:], steps * 2, strict=False):
        for action in actions:
            note = (
                "Thiếu giấy xác nhận tình trạng hôn nhân" if action == "request_supplement" else ""
            )
            api.post(
                f"/api/v1/dossiers/{dossier_id}/transitions", json={"action": action, "note": note}
            ).raise_for_status()
    shown = ids[2]
    api.post(
        f"/api/v1/dossiers/{shown}/documents",
        files={"file": ("to-khai.pdf", PDF, "application/pdf")},
    ).raise_for_status()
    return {"dossier": shown}


def reception(page: Page, _: dict[str, str]) -> None:
    page.goto("/dossiers/new")
    page.get_by_label("Tìm thủ tục theo tên hoặc mã").fill("ket hon")
    page.get_by_role("radio", name="1.000894 · Đăng ký kết hôn").check()
    page.locator("#appointment-preview").wait_for()
    page.get_by_label("Họ và tên").first.fill("Nguyễn Thị Hoa")
    page.get_by_label("Số điện thoại").first.fill("0912345678")


def dossier_list(page: Page, _: dict[str, str]) -> None:
    page.goto("/dossiers")


def dossier(page: Page, seeded: dict[str, str]) -> None:
    page.goto(f"/dossiers/{seeded['dossier']}")


SHOTS: dict[str, Callable[[Page, dict[str, str]], None]] = {
    "reception": reception,
    "dossier-list": dossier_list,
    "dossier": dossier,
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "node"
        initialise(data_dir, "000.00.15.H42", "demo-xa-1", calendars=True, sample_catalog=True)
        node = start_node(data_dir)
        try:
            with httpx.Client(base_url=node.url, headers=ACTOR, timeout=30) as api:
                seeded = seed(api)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context(
                    base_url=node.url,
                    viewport={"width": 1366, "height": 768},
                    locale="vi-VN",
                    extra_http_headers=ACTOR,
                )
                page = context.new_page()
                for name, shoot in SHOTS.items():
                    shoot(page, seeded)
                    page.screenshot(path=str(OUT / f"{name}.png"))
                    print(f"docs/screenshots/{name}.png")
                browser.close()
        finally:
            node.stop()


if __name__ == "__main__":
    main()
