"""Forms 01-04 and the staff pages with the longest input the API accepts, in real Chromium.

For each kind of extreme text (``extreme_dossiers``: Vietnamese words with every tone mark,
or single words as long as a field allows) a dossier is received, asked for a supplement,
given a new appointment and refused, each step by its role. Each form is then laid out for
print at the width of the A4 sheet's text (nothing may stick out or scroll), printed to a PDF
(a bounded number of A4 pages holding every field's whole text), and form 01's QR read back.
The staff pages showing the same dossiers must not scroll sideways on a 1366x768 screen.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pypdfium2 as pdfium
import pytest
import zxingcpp
from playwright.sync_api import Page

from cli.common import operator
from cli.init_cmd import initialise
from node import reference_data
from node.runtime import open_node
from rules import reference_entries
from rules.actor import Role
from scanner_ingest.pdf_ops import page_slips
from scanner_ingest.slip import slip_payload
from tests.conftest import NODE_ID
from tests.support.accounts import make_token
from tests.support.browser import StaffBrowserFactory
from tests.support.live_node import LiveNode
from tests.web.staff_pages.extreme_dossiers import (
    LONG_AGENCY,
    Extreme,
    check_at_limits,
    extreme,
    receive_and_refuse,
    write_catalog,
)

KINDS = ("spaced", "unbroken")
A4_POINTS = (595.3, 841.9)  # 210 x 297 mm; Playwright's "A4" is 8.27 x 11.7 inches
# The sheet's text width: A4 less the margins of forms.css's @page (30 mm left, 15 mm right,
# after Decree 30/2020), in CSS pixels, rounded down so the check is the stricter.
TEXT_WIDTH_PX = int((210 - 30 - 15) / 25.4 * 96)
MARGINS_PT = tuple(mm / 25.4 * 72 for mm in (20, 15, 20, 30))  # top, right, bottom, left
# The most pages each form may take with these inputs. A page holds 728 pt of text; laid
# out in DejaVu Serif (the widest of the fonts forms.css names) the sheets measure:
# 01: about 7,000 pt: the fields 890 pt beside the QR code, then 100 rows of 4 lines, 57 pt
#     each; 9.6 pages, and a page may end up to a row short since a row moves whole:
#     11 printed, bound 12.
# 02, 03: about 1,700 pt (the fields 640 pt, the note 750 pt): 3 printed. 04 prints neither
#     the address nor the proxy: 2 printed. Bound 3.
MAX_PAGES = {"01": 12, "02": 3, "03": 3, "04": 3}

# Every laid-out element whose box reaches past the text width, or whose content is wider
# than its box (a word that did not wrap is clipped or sticks out), as "tag.class: text".
_OVERFLOWING = """(width) => [...document.querySelectorAll('body, body *')].filter(el => {
    const box = el.getBoundingClientRect();
    if (!box.width && !box.height) return false;  // not laid out (display: none)
    return el.scrollWidth > width || box.right > width + 0.5 || box.left < -0.5
      || (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1);
  }).map(el => `${el.tagName.toLowerCase()}.${el.getAttribute('class') || ''} `
    + `${Math.round(el.getBoundingClientRect().right)}px: `
    + (el.textContent || '').trim().slice(0, 40).replace(/\\s+/g, ' '))"""


@pytest.fixture
def node_dir(tmp_path: Path) -> Path:
    """A node whose agency code is the longest allowed, with a catalog entry per kind."""
    data_dir = tmp_path / "node"
    initialise(data_dir, LONG_AGENCY, NODE_ID, calendars=True, sample_catalog=True)
    catalog = write_catalog(tmp_path / "extreme.toml", [extreme(k) for k in KINDS])
    entries = reference_entries.read_catalog(catalog)  # the file passes the import's checks
    rt = open_node(data_dir)
    try:
        with rt.db.write() as conn:
            reference_data.import_catalog(conn, rt.node_id, operator("test"), entries)
    finally:
        rt.close()
    return data_dir


@pytest.fixture
def role_tokens(page_node: LiveNode) -> Iterator[dict[str, str]]:
    """An API token per role that takes the dossier's steps (rules.permissions)."""
    rt = open_node(page_node.data_dir, check=False)
    try:
        yield {
            "reception": make_token(rt.db, "tiep-nhan", Role.RECEPTION),
            "leader": make_token(rt.db, "lanh-dao", Role.LEADER),
        }
    finally:
        rt.close()


def squeezed(text: str) -> str:
    """Without any blank: a long word wraps at any letter, a line at any blank."""
    return "".join(unicodedata.normalize("NFC", text).split())


def printed_text(x: Extreme, dossier: dict[str, str], number: str) -> dict[str, str]:
    """What form ``number`` prints of the dossier, by name."""
    notes = {"02": "request_supplement", "03": "refuse", "04": "reschedule"}
    if number == "04":  # the letter of apology names the applicant and the procedure only
        fields = {"applicant": x.applicant["full_name"], "procedure": x.procedure_name}
    else:
        names = ("applicant", "address", "phone", "proxy", "procedure")
        fields = dict(zip(names, x.printed_fields(), strict=True))
    fields["code"] = dossier["code"]
    if number == "01":
        fields |= {f"component {i}": c for i, c in enumerate(x.components, 1)}
        fields["pin"] = dossier["lookup_pin"]
    else:
        fields["note"] = x.notes[notes[number]]
    return fields


def overflowing(page: Page, width: int) -> list[str]:
    """The elements wider than ``width`` once laid out at that width with print styles."""
    page.emulate_media(media="print")
    page.set_viewport_size({"width": width, "height": 1000})
    try:
        found: list[str] = page.evaluate(_OVERFLOWING, width)
    finally:
        page.set_viewport_size({"width": 1366, "height": 768})
        page.emulate_media(media="null")  # none: "screen" would print the screen styles
    return found


def is_a4(size: tuple[float, float]) -> bool:
    return all(abs(got - a4) <= 1.5 for got, a4 in zip(size, A4_POINTS, strict=True))


def _in_text_area(box: tuple[float, float, float, float], height: float) -> bool:
    """Whether a glyph's centre is inside the sheet's margins (PDF points, origin below)."""
    left, bottom, right, top = box
    x, y = (left + right) / 2, (bottom + top) / 2
    return MARGINS_PT[3] - 1 <= x <= A4_POINTS[0] - MARGINS_PT[1] + 1 and (
        MARGINS_PT[2] - 1 <= y <= height - MARGINS_PT[0] + 1
    )


class Printed(msgspec.Struct, frozen=True):
    sizes: list[tuple[float, float]]  # each page's, in points
    text: str  # what is printed inside the margins, every page
    strays: list[str]  # "page N: glyphs" printed in a margin
    codes: list[list[str]]  # each page's QR codes


def read_pdf(path: Path) -> Printed:
    pdf = pdfium.PdfDocument(str(path))
    sizes, texts, strays, codes = [], [], [], []
    qr = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    try:
        for number, page in enumerate(pdf, 1):
            width, height = page.get_size()
            sizes.append((width, height))
            glyphs = page.get_textpage()
            text = glyphs.get_text_range()
            assert len(text) == glyphs.count_chars()  # one character per glyph box
            outside = "".join(
                c for i, c in enumerate(text)
                if not c.isspace() and not _in_text_area(glyphs.get_charbox(i), height)
            )  # fmt: skip
            texts.append("".join(
                c for i, c in enumerate(text)
                if c.isspace() or _in_text_area(glyphs.get_charbox(i), height)
            ))  # fmt: skip
            if outside:
                strays.append(f"page {number}: {outside}")
            image = page.render(scale=200 / 72, grayscale=True).to_pil()
            codes.append(sorted(b.text for b in zxingcpp.read_barcodes(image, formats=qr)))
    finally:
        pdf.close()
    return Printed(sizes, "".join(texts), strays, codes)


@pytest.mark.parametrize("kind", KINDS)
def test_forms_print_whole_on_bounded_a4_pages(
    kind: str,
    staff_browser: StaffBrowserFactory,
    page_node: LiveNode,
    role_tokens: dict[str, str],
    tmp_path: Path,
) -> None:
    x = extreme(kind)
    check_at_limits(x)
    dossier = receive_and_refuse(page_node, role_tokens, x)
    page = staff_browser(Role.RECEPTION)
    pages: dict[str, int] = {}
    for number in MAX_PAGES:
        page.goto(f"/dossiers/{dossier['id']}/forms/{number}")
        wide = overflowing(page, TEXT_WIDTH_PX)
        assert wide == [], f"form {number} is wider than the sheet:\n" + "\n".join(wide)
        pdf_path = tmp_path / f"form{number}-{kind}.pdf"
        page.pdf(path=str(pdf_path), format="A4", print_background=True)
        printed = read_pdf(pdf_path)
        pages[number] = len(printed.sizes)
        assert all(is_a4(size) for size in printed.sizes), f"form {number}: {printed.sizes}"
        # A glyph in a margin: the top of a stacked mark (Ẳ) above its line box, which
        # Chromium also prints at the foot of the page before when the line opens a page.
        assert printed.strays == [], f"form {number} prints in its margins: {printed.strays}"
        assert "In phiếu" not in printed.text  # the screen's toolbar does not print
        whole = squeezed(printed.text)
        missing = [
            k for k, v in printed_text(x, dossier, number).items() if squeezed(v) not in whole
        ]
        assert missing == [], f"form {number} lacks the whole text of {missing}"
        if number == "01":
            # The slip's QR is on the first page, where scanner ingest starts the dossier;
            # the phone's lookup QR comes after the list, on the last.
            slip = slip_payload(dossier["code"])
            lookup = f"{page_node.url}/lookup?code={dossier['code']}&pin={dossier['lookup_pin']}"
            assert slip in printed.codes[0], printed.codes
            assert sorted(c for found in printed.codes for c in found) == sorted([slip, lookup])
            slips = page_slips(str(pdf_path), dpi=150)
            assert [s.codes for s in slips] == [(dossier["code"],)] + [()] * (len(slips) - 1)
    assert all(1 <= pages[n] <= MAX_PAGES[n] for n in MAX_PAGES), f"pages: {pages}"


# How far the whole page scrolls sideways, and the innermost elements that reach past the
# window's right edge (the cause), as "tag.class" names.
_SIDEWAYS = """() => {
  const past = [...document.querySelectorAll('body *')].filter(el =>
    el.getBoundingClientRect().right > window.innerWidth + 0.5);
  const innermost = past.filter(el => !past.some(other => other !== el && el.contains(other)));
  const names = innermost.map(el =>
    `${el.tagName.toLowerCase()}.${el.getAttribute('class') || ''}`);
  return [document.scrollingElement.scrollWidth - window.innerWidth, [...new Set(names)]];
}"""


def test_staff_pages_with_the_longest_input_do_not_scroll_sideways(
    staff_browser: StaffBrowserFactory, page_node: LiveNode, role_tokens: dict[str, str]
) -> None:
    kinds = {k: extreme(k) for k in KINDS}
    received = {k: receive_and_refuse(page_node, role_tokens, x) for k, x in kinds.items()}
    page = staff_browser(Role.RECEPTION, Role.PROCESSING, Role.LEADER)
    wide: dict[str, str] = {}

    def look(what: str) -> None:
        scroll, causes = page.evaluate(_SIDEWAYS)
        if scroll > 0:
            wide[what] = f"{scroll} px, {', '.join(causes[:6])}"

    page.goto("/dossiers")
    assert page.locator("tbody tr").count() == len(KINDS)
    look("dossier list")
    for kind, dossier in received.items():
        page.goto(f"/dossiers/{dossier['id']}")
        look(f"dossier page ({kind})")
    # The reception page with the procedure chosen (its checklist and appointment preview)
    # and every field filled to its limit; saved, it lands on the new dossier with form 01.
    for kind, x in kinds.items():
        page.goto(f"/dossiers/new?procedure_code={x.procedure_code}")
        assert page.locator("#f-components input:checked").count() == len(x.components)
        for who, person in (("applicant", x.applicant), ("proxy", x.proxy)):
            for field, value in person.items():
                page.locator(f"[id='f-{who}.{field}']").fill(value)
        look(f"reception ({kind})")
        page.locator("button[value=save]").click()
        page.wait_for_url("**/dossiers/*?received=1")
        assert page.locator("dl.facts").inner_text().count(x.applicant["address"]) == 1
        look(f"dossier page after reception ({kind})")
    assert wide == {}, f"pages that scroll sideways at 1366 px: {wide}"
