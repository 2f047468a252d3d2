"""Take the README's screenshots (run through ``scripts/screenshots``).

A throw-away node with the sample catalog and a few demo dossiers; each ``shoot_*``
function takes the screenshots of one area of pages. Pages at 1366x768; printed forms as
Chromium prints them (A4 PDF rendered to PNG).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import httpx
import pypdfium2 as pdfium
from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cli.init_cmd import initialise  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.live_node import LiveNode, start_node  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
ACTOR = {"X-Actor": "nguyen.thi.lan"}
OFFICE = """
[office]
name = "Trung tâm Phục vụ hành chính công xã An Bình"
parent = "ỦY BAN NHÂN DÂN XÃ AN BÌNH"
place = "An Bình"
city_public_url = "https://dichvucong.example.gov.vn"
"""


def demo_node(tmp: Path) -> LiveNode:
    data_dir = tmp / "node"
    initialise(data_dir, "000.00.15.H42", "demo-xa-1", calendars=True, sample_catalog=True)
    config = data_dir / "motcua.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text[: text.index("[office]")] + OFFICE.lstrip(), encoding="utf-8")
    return start_node(data_dir)


def receive(node: LiveNode, name: str, components: list[str]) -> dict[str, str]:
    body = {
        "procedure_code": "1.000894",
        "channel": "in_person",
        "applicant": {"full_name": name, "phone": "0912345678", "address": "Thôn Đông, xã An Bình"},
        "components": components,
    }
    response = httpx.post(f"{node.url}/api/v1/dossiers", json=body, headers=ACTOR)
    response.raise_for_status()
    result: dict[str, str] = response.json()
    return result


def act(node: LiveNode, dossier_id: str, action: str, **extra: str) -> None:
    url = f"{node.url}/api/v1/dossiers/{dossier_id}/transitions"
    httpx.post(url, json={"action": action, **extra}, headers=ACTOR).raise_for_status()


def print_to_png(browser: Browser, node: LiveNode, path: str, name: str) -> None:
    context = browser.new_context(base_url=node.url, extra_http_headers=ACTOR)
    page = context.new_page()
    page.goto(path)
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    context.close()
    doc = pdfium.PdfDocument(pdf)
    try:
        doc[0].render(scale=110 / 72).to_pil().save(OUT / name)
    finally:
        doc.close()
    print(f"{OUT / name}")


def shoot_forms(browser: Browser, node: LiveNode) -> None:
    first = receive(
        node,
        "Nguyễn Văn Đức",
        ["Tờ khai đăng ký kết hôn", "Giấy xác nhận tình trạng hôn nhân", "Bản sao CCCD"],
    )
    print_to_png(browser, node, f"/dossiers/{first['id']}/forms/01", "form-01.png")
    second = receive(node, "Trần Thị Bình", ["Tờ khai đăng ký kết hôn"])
    note = (
        "1. Giấy xác nhận tình trạng hôn nhân của bên nữ (bản chính).\n"
        "2. Bản sao Căn cước công dân của bên nữ."
    )
    act(node, second["id"], "request_supplement", note=note)
    print_to_png(browser, node, f"/dossiers/{second['id']}/forms/02", "form-02.png")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        node = demo_node(Path(tmp))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    shoot_forms(browser, node)
                finally:
                    browser.close()
        finally:
            node.stop()


if __name__ == "__main__":
    main()
