"""How much work one scan may cost: pixels decoded at once, and seconds in all.

A scan is small on disk but may declare gigapixels, or thousands of pages that each cost a
render. These budgets bound the cost of every file; what exceeds them is quarantined as
``too_large`` (never the machine). They sit far above what a scanner produces: an A4 page
at 600 dpi in colour is 35 megapixels, and ingest reads about 45 pages of 300 dpi a second.
"""

from __future__ import annotations

import math

#: An image (a frame of a TIFF, a PNG or JPEG, or an image inside a PDF page) is refused
#: above this many pixels: A3 at 500 dpi, or A4 at 700 dpi.
MAX_IMAGE_PIXELS = 64_000_000
#: A page is read for slips at no more than this many pixels (A4 at 300 dpi, A3 at 250):
#: the slip's QR code needs about 150 dpi, so larger pages are scaled down, never refused.
MAX_READ_PIXELS = 9_000_000

#: Seconds of work every file may take, then more per megabyte and per page.
TIME_BASE_SECONDS = 30.0
TIME_PER_MB_SECONDS = 1.0
TIME_PER_PAGE_SECONDS = 0.5
#: Pages count towards the budget only as far as the file's bytes can carry them: a page
#: of a real scan takes at least this many bytes (a blank A4 in CCITT G4 takes ~2 KB), so
#: 2000 pages declared in 250 KB earn the time of about 120.
MIN_PAGE_BYTES = 2048


def time_budget(size: int, pages: int = 0) -> float:
    """Seconds the inspection of a ``size``-byte file of ``pages`` pages may take in all
    (a legitimate 500 MB scan of 60 pages gets 560 s and needs about 20)."""
    earned_pages = min(pages, 1 + size // MIN_PAGE_BYTES)
    return (
        TIME_BASE_SECONDS
        + TIME_PER_MB_SECONDS * size / (1024 * 1024)
        + TIME_PER_PAGE_SECONDS * earned_pages
    )


def read_scale(width: float, height: float) -> float:
    """The factor (at most 1) that brings a ``width`` x ``height`` page within
    ``MAX_READ_PIXELS``."""
    area = max(width * height, 1.0)
    return min(1.0, math.sqrt(MAX_READ_PIXELS / area))
