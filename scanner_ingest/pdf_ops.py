"""PDF operations with PDFium. Run these only inside the ``pdf_worker`` process.

PDFium is not thread-safe, and a hostile PDF may crash or hang it; ``pdf_worker.PdfWorker``
runs these functions one at a time in a child process it can replace. Arguments and results
cross the process boundary, so they are plain picklable values.
"""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]
from PIL import Image

from scanner_ingest import reasons
from scanner_ingest.budgets import MAX_IMAGE_PIXELS, read_scale
from scanner_ingest.filetypes import FileKind, ValidationResult, accepted, looks_truncated, refused
from scanner_ingest.pdf_worker import WorkTooLarge, pages_per_open
from scanner_ingest.qr_matching import PageSlip, read_page

#: A rendered page's longer side is capped at this many pixels, whatever the page size
#: (and its area at ``budgets.MAX_READ_PIXELS``).
MAX_RENDER_SIDE = 7000
#: Form XObjects nest; images are looked for this deep.
_IMAGE_DEPTH = 8
#: A page read directly from its JPEG keeps at least this resolution: the slip's 0.6 mm
#: modules are then 3.5 pixels wide, as in a 150 dpi scan.
MIN_DIRECT_DPI = 150

#: A raw grayscale page: (width, height, one byte per pixel, row by row).
RawPage = tuple[int, int, bytes]


def validate_pdf(path: str) -> ValidationResult:
    """Open the PDF, require ``%%EOF`` at its end and at least one loadable page."""
    try:
        with Path(path).open("rb") as f:
            truncated = looks_truncated(f, FileKind.PDF)
    except FileNotFoundError:
        raise
    except OSError as exc:
        return refused(reasons.UNREADABLE, f"{type(exc).__name__}: {exc}", FileKind.PDF)
    try:
        doc = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        return _open_error(exc, truncated)
    try:
        if truncated:
            # PDFium rebuilds a damaged cross-reference table and may show what is there;
            # a file without its end is still half-written or cut off.
            return refused(reasons.TRUNCATED, "no %%EOF at the end", FileKind.PDF)
        pages = len(doc)
        if pages < 1:
            return refused(reasons.UNPARSEABLE, "no pages", FileKind.PDF)
        per_open = pages_per_open(Path(path).stat().st_size, pages)
        for index in range(pages):
            if index and index % per_open == 0:  # let PDFium drop what it parsed
                doc.close()
                doc = pdfium.PdfDocument(path)
            try:
                page = doc[index]
            except pdfium.PdfiumError as exc:
                return refused(reasons.UNPARSEABLE, f"page {index + 1}: {exc}", FileKind.PDF)
            try:
                check_images(page, index)
            except WorkTooLarge as exc:
                return refused(reasons.TOO_LARGE, str(exc), FileKind.PDF)
            finally:
                page.close()
        return accepted(FileKind.PDF, pages)
    finally:
        doc.close()


def _open_error(exc: pdfium.PdfiumError, truncated: bool) -> ValidationResult:
    detail = str(exc)
    if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
        return refused(reasons.ENCRYPTED_PDF, detail, FileKind.PDF)
    if exc.err_code == pdfium_c.FPDF_ERR_FILE:
        return refused(reasons.UNREADABLE, detail, FileKind.PDF)
    code = reasons.TRUNCATED if truncated else reasons.UNPARSEABLE
    return refused(code, detail, FileKind.PDF)


def check_images(page: pdfium.PdfPage, index: int) -> None:
    """``WorkTooLarge`` if an image on the page (in forms too) is over the pixel budget:
    PDFium would decode it whole to draw it, and under the memory limit it would silently
    leave it out instead."""
    for obj in page.get_objects(max_depth=_IMAGE_DEPTH):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            width, height = obj.get_px_size()
            if width * height > MAX_IMAGE_PIXELS:
                raise WorkTooLarge(
                    f"page {index + 1} has an image of {width}x{height} pixels, over the "
                    f"budget of {MAX_IMAGE_PIXELS}"
                )


def _render(page: pdfium.PdfPage, dpi: float) -> RawPage:
    """The page in grey at ``dpi``, scaled down to the reading budget if it is larger."""
    width, height = page.get_size()  # in points, 1/72 inch, after /Rotate
    scale = dpi / 72
    side = max(width, height, 1.0) * scale
    scale *= min(read_scale(width * scale, height * scale), MAX_RENDER_SIDE / side)
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        image = bitmap.to_pil().convert("L")
    finally:
        bitmap.close()
    return image.width, image.height, image.tobytes()


def render_page(path: str, index: int, dpi: float) -> RawPage:
    """Page ``index`` (0-based) rendered in grayscale at ``dpi``; IndexError if no such page."""
    doc = pdfium.PdfDocument(path)
    try:
        if not 0 <= index < len(doc):
            raise IndexError(f"page {index} of a {len(doc)}-page PDF")
        page = doc[index]
        try:
            check_images(page, index)
            return _render(page, dpi)
        finally:
            page.close()
    finally:
        doc.close()


def page_slips(path: str, dpi: float, start: int = 0, stop: int | None = None) -> list[PageSlip]:
    """Pages ``start`` to ``stop`` (default: every page) searched for slip QR codes, in page
    order: a page that is one JPEG is read from its own bytes (``_direct_jpeg``), any other
    is rendered at ``dpi``. ``WorkTooLarge`` for a page with an image over the budget."""
    doc = pdfium.PdfDocument(path)
    try:
        slips = []
        for index in range(start, len(doc) if stop is None else min(stop, len(doc))):
            page = doc[index]
            try:
                check_images(page, index)
                image = _direct_jpeg(page)
                if image is None:
                    width, height, data = _render(page, dpi)
                    image = Image.frombytes("L", (width, height), data)
            finally:
                page.close()
            slips.append(read_page(image))
        return slips
    finally:
        doc.close()


def _direct_jpeg(page: pdfium.PdfPage) -> Image.Image | None:
    """The page's only image, decoded from its JPEG bytes in grey and scaled down by the
    JPEG decoder itself (DCT scaling: 1/2, 1/4, 1/8) to no less than ``MIN_DIRECT_DPI``;
    about five times faster than rendering a 300 dpi colour page. None unless the page is
    exactly one DCTDecode image (text objects allowed: an OCR layer cannot hold a QR code),
    or if Pillow cannot decode it: then the page is rendered."""
    images = []
    for obj in page.get_objects(max_depth=1):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            images.append(obj)
        elif obj.type != pdfium_c.FPDF_PAGEOBJ_TEXT:
            return None  # drawn content (a vector QR code, a form): render it
    if len(images) != 1 or images[0].get_filters() != ["DCTDecode"]:
        return None
    data = bytes(images[0].get_data(decode_simple=False))
    short_side_inches = min(page.get_size()) / 72
    try:
        image = Image.open(io.BytesIO(data), formats=["JPEG"])
        scale = 1
        while scale < 8 and min(image.size) / (2 * scale) >= MIN_DIRECT_DPI * short_side_inches:
            scale *= 2
        image.draft("L", (image.width // scale, image.height // scale))
        return image.convert("L")
    except Exception:  # Pillow raises many types on JPEGs it cannot read
        return None


def extract_pages(path: str, indices: list[int]) -> bytes:
    """A new PDF made of the given pages (0-based, in the given order)."""
    src = pdfium.PdfDocument(path)
    out = pdfium.PdfDocument.new()
    try:
        out.import_pages(src, indices)
        buffer = io.BytesIO()
        out.save(buffer)
        return buffer.getvalue()
    finally:
        out.close()
        src.close()


def extract_pages_to(path: str, indices: list[int], out: str) -> int:
    """:func:`extract_pages` written to the new file ``out``; returns its size."""
    src = pdfium.PdfDocument(path)
    doc = pdfium.PdfDocument.new()
    try:
        doc.import_pages(src, indices)
        # "wb": a call retried after the worker died mid-save finds its own partial file.
        with Path(out).open("wb") as f:
            doc.save(f)
            return f.tell()
    finally:
        doc.close()
        src.close()
