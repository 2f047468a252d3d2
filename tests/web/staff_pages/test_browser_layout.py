"""Layout that only a browser shows, in real Chromium at the office's 1366x768: a table cell
of buttons stays in line with its row, and a table's caption keeps its distance from the
card above it."""

from __future__ import annotations

from playwright.sync_api import FloatRect, Page

from rules.actor import Role
from tests.support.browser import StaffBrowserFactory

HOLIDAY = '[[day]]\ndate = 2027-12-30\nkind = "holiday"\nname = "Ngày nghỉ thử"\n'

# Per row of the table: the display of its last cell and how far each cell's top and bottom
# are from the row's (a cell laid out as a flex box instead of a table cell moves off both).
_ROW_CELLS = """(table) => [...table.querySelectorAll('tbody tr')].map(row => {
  const box = row.getBoundingClientRect();
  const cells = [...row.cells].map(c => c.getBoundingClientRect());
  return {
    display: getComputedStyle(row.cells[row.cells.length - 1]).display,
    off: Math.max(...cells.map(c => Math.max(Math.abs(c.top - box.top),
                                             Math.abs(c.bottom - box.bottom)))),
  };
})"""


def _box(page: Page, selector: str) -> FloatRect:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not laid out"
    return box


def test_the_accounts_action_cells_line_up_with_their_rows(
    staff_browser: StaffBrowserFactory,
) -> None:
    page = staff_browser(Role.ADMIN)
    staff_browser(Role.RECEPTION)  # a second account: a row with the lock button too
    page.goto("/admin/accounts")
    rows = page.locator("table").first.evaluate(_ROW_CELLS)
    assert len(rows) >= 2, rows
    assert all(r["display"] == "table-cell" for r in rows), rows
    assert all(r["off"] <= 1 for r in rows), f"cells out of line with their row: {rows}"
    # Its forms sit inside the cell, none past the table's right edge.
    table = _box(page, "table")
    for form in page.locator("td.actions form").all():
        box = form.bounding_box()
        assert box is not None and box["x"] + box["width"] <= table["x"] + table["width"] + 0.5


def test_the_import_previews_caption_keeps_its_distance_from_the_card(
    staff_browser: StaffBrowserFactory,
) -> None:
    page = staff_browser(Role.ADMIN)
    page.goto("/admin")
    form = page.locator("form[action='/admin/import/calendar']")
    form.locator("input[type=file]").set_input_files(
        {"name": "lich.toml", "mimeType": "application/toml", "buffer": HOLIDAY.encode()}
    )
    form.locator("button[type=submit]").click()
    page.locator("table.diff-added caption").wait_for()
    card = _box(page, "dl.facts.card")
    caption = _box(page, "table.diff-added caption")
    assert caption["y"] - (card["y"] + card["height"]) >= 8, (card, caption)
