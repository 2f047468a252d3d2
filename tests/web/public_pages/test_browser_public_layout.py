"""The citizen's lookup and rating laid out in real Chromium on a phone (360 px wide) and on
the office's screen (1366 px): each label above its field, the fields styled as the staff
pages' are, a whole dossier code in view, and no sideways scroll."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, FloatRect, Page

from tests.node.helpers import create_body
from tests.support.live_node import LiveNode

# A code of today's longest shape: the width its field must show whole.
LONG_CODE = "000.00.15.H42-261117-0003"
# How far the page scrolls sideways.
_SIDEWAYS = "() => document.scrollingElement.scrollWidth - window.innerWidth"
# How much wider a field's text is than the room inside the field (> 0: part of it hidden).
_HIDDEN_TEXT = """(el) => {
  const style = getComputedStyle(el);
  const context = document.createElement('canvas').getContext('2d');
  context.font = style.font;
  const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return context.measureText(el.value).width - room;
}"""


def _box(page: Page, selector: str) -> FloatRect:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not laid out"
    return box


def _label_above(page: Page, field: str) -> None:
    label, control = _box(page, f"label[for={field}]"), _box(page, f"#{field}")
    assert label["y"] + label["height"] <= control["y"] + 0.5, (field, label, control)
    assert abs(label["x"] - control["x"]) <= 1, (field, label, control)


@pytest.mark.parametrize("width", [360, 1366])
def test_the_lookup_and_rating_fit_a_phone_and_a_screen(
    page_node: LiveNode, chromium: Browser, width: int
) -> None:
    created = httpx.post(
        f"{page_node.url}/api/v1/dossiers", json=create_body(), headers=page_node.headers
    )
    assert created.status_code == 201, created.text
    dossier = created.json()
    context = chromium.new_context(
        base_url=page_node.url, viewport={"width": width, "height": 800}, locale="vi-VN"
    )
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"/lookup?code={dossier['code']}&pin={dossier['lookup_pin']}")
        page.locator("[data-field=status]").wait_for()
        assert page.evaluate(_SIDEWAYS) <= 0, f"the lookup scrolls sideways at {width} px"
        for field in ("code", "pin"):
            _label_above(page, field)
            style = page.locator(f"#{field}").evaluate(
                "(el) => [getComputedStyle(el).paddingLeft, getComputedStyle(el).borderRadius]"
            )
            assert style == ["8px", "4px"], f"#{field} has the browser's default look: {style}"
        page.locator("#code").fill(LONG_CODE)
        assert page.locator("#code").evaluate(_HIDDEN_TEXT) <= 0, "the code does not show whole"

        page.goto(f"/rating?code={LONG_CODE}")
        page.locator("#comment").fill("Cán bộ hướng dẫn tận tình, trả kết quả đúng hẹn. " * 3)
        assert page.evaluate(_SIDEWAYS) <= 0, f"the rating scrolls sideways at {width} px"
        for field in ("code", "pin", "comment"):
            _label_above(page, field)
        assert page.locator("#code").evaluate(_HIDDEN_TEXT) <= 0, "the code does not show whole"
    finally:
        context.close()
