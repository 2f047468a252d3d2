"""Image operations with Pillow and zxing. Run these only inside the ``pdf_worker`` process.

Decoding a scan image can take gigabytes (an RGBA PNG of 13000² is 657 KB on disk and
676 MB decoded), so it happens where PDFs are decoded, under the same memory limit and
pixel budgets (``budgets``); the server process only reads and hashes the bytes.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image

from scanner_ingest.budgets import MAX_IMAGE_PIXELS, read_scale
from scanner_ingest.filetypes import PIL_FORMATS, FileKind, ValidationResult
from scanner_ingest.filetypes import validate_image as _validate_image
from scanner_ingest.pdf_worker import WorkTooLarge
from scanner_ingest.qr_matching import PageSlip, read_page


def validate_image(path: str, kind: FileKind) -> ValidationResult:
    """``filetypes.validate_image`` in the worker: every frame decoded, within budget."""
    return _validate_image(Path(path), kind)


def image_slips(path: str, kind: FileKind, start: int, stop: int) -> list[PageSlip]:
    """Frames ``start`` to ``stop`` searched for slip QR codes, each read at no more than
    ``budgets.MAX_READ_PIXELS`` (a JPEG is decoded at that size by its decoder)."""
    slips = []
    with Image.open(path, formats=PIL_FORMATS[kind]) as image:
        for index in range(start, stop):
            image.seek(index)
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise WorkTooLarge(
                    f"frame {index + 1} is {width}x{height} pixels, over the budget of "
                    f"{MAX_IMAGE_PIXELS}"
                )
            slips.append(read_page(_for_reading(image)))
    return slips


def _for_reading(frame: Image.Image) -> Image.Image:
    scale = read_scale(*frame.size)
    if scale < 1 and frame.format == "JPEG":
        # DCT scaling (1/2, 1/4, 1/8), never below the size asked for.
        frame.draft("L", (math.ceil(frame.width * scale), math.ceil(frame.height * scale)))
    frame.load()
    factor = math.ceil(1 / read_scale(*frame.size))
    return frame.convert("L").reduce(factor) if factor > 1 else frame
