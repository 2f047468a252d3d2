"""Which dossier each page of a scan belongs to: receipt-slip QR codes, else the filename.

Rules:
- A page is a slip page when it carries at least one QR code that ``slip.parse_slip``
  accepts. QR codes that are not ours, or whose crc fails, are counted and ignored: they
  never attach a page to anything.
- ``split_by_slips``: pages before the first slip form an unmatched segment; each slip page
  starts a new segment for its dossier and the slip page is part of that segment (it is the
  office's own proof of reception, and dropping pages from a scan would lose paper the staff
  fed in). A second slip starts the next segment, even for the same dossier code.
- A page with slips for two different dossiers is ambiguous: it starts an unmatched segment
  that lists both candidates, so a person decides.
- ``match_pages``: when no page has a slip, the whole file goes to the dossier code in its
  filename (if exactly one distinct code is there), otherwise it is unfiled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Literal

import msgspec
import zxingcpp
from PIL import Image

from scanner_ingest.names import nfc
from scanner_ingest.slip import parse_slip

#: Default dossier code in a filename: agency code (dot-separated groups of 0-9/A-Z, at most
#: 35 characters), then -yymmdd-serial, e.g. ``000.00.15.H42-270205-0003``. Not glued to
#: other letters, digits or dots on the left, nor to a digit on the right.
DEFAULT_CODE_PATTERN = re.compile(
    r"(?<![0-9A-Za-z.])"
    r"(?P<code>(?=[0-9A-Z.]{1,35}-)[0-9A-Z]+(?:\.[0-9A-Z]+)*"
    r"-\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])-\d{4})"
    r"(?!\d)"
)

_ZXING_MODES = frozenset({"L", "RGB", "RGBA"})


class PageSlip(msgspec.Struct, frozen=True):
    """What the QR codes on one page say."""

    codes: tuple[str, ...] = ()  # distinct dossier codes from valid slips, in reading order
    foreign: int = 0  # QR codes that were not ours or failed the crc

    @property
    def is_slip(self) -> bool:
        return bool(self.codes)

    @property
    def code(self) -> str | None:
        """The dossier code if the page has exactly one; None if none or ambiguous."""
        return self.codes[0] if len(self.codes) == 1 else None


class Segment(msgspec.Struct, frozen=True):
    """Pages ``start`` (inclusive) to ``stop`` (exclusive) that go to one dossier, or to
    nobody (``code is None``)."""

    start: int
    stop: int
    code: str | None
    source: Literal["qr", "filename", "unmatched"]
    candidates: tuple[str, ...] = ()  # set when a page had slips for several dossiers

    @property
    def pages(self) -> range:
        return range(self.start, self.stop)


def read_page(image: Image.Image) -> PageSlip:
    """Decode every QR code on one page image, at any rotation."""
    if image.mode not in _ZXING_MODES:
        image = image.convert("L")
    found = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode), try_rotate=True
    )
    codes: list[str] = []
    foreign = 0
    for barcode in found:
        code = parse_slip(barcode.text)
        if code is None:
            foreign += 1
        elif code not in codes:
            codes.append(code)
    return PageSlip(codes=tuple(codes), foreign=foreign)


def find_slips(images: Iterable[Image.Image]) -> list[PageSlip]:
    """``read_page`` for each page image, in order."""
    return [read_page(image) for image in images]


def split_by_slips(pages: Sequence[PageSlip]) -> list[Segment]:
    """Group consecutive pages into segments by slip pages (see the module docstring)."""
    segments: list[Segment] = []
    for index, page in enumerate(pages):
        if page.is_slip or not segments:
            code = page.code
            source: Literal["qr", "unmatched"] = "qr" if code is not None else "unmatched"
            candidates = page.codes if len(page.codes) > 1 else ()
            segments.append(Segment(index, index + 1, code, source, candidates))
        else:
            last = segments[-1]
            segments[-1] = msgspec.structs.replace(last, stop=index + 1)
    return segments


def code_from_filename(name: str, pattern: re.Pattern[str] = DEFAULT_CODE_PATTERN) -> str | None:
    """The one dossier code ``pattern`` finds in the (NFC) ``name``, or None if there is none
    or several different ones. If the pattern has a group named ``code`` that group is the
    code, else the whole match."""
    group: int | str = "code" if "code" in pattern.groupindex else 0
    found = {m.group(group) for m in pattern.finditer(nfc(name))}
    return found.pop() if len(found) == 1 else None


def match_pages(
    pages: Sequence[PageSlip], filename: str, pattern: re.Pattern[str] = DEFAULT_CODE_PATTERN
) -> list[Segment]:
    """Segments for a whole file: by slips if any page has one, else by the filename."""
    if not pages:
        return []
    if any(page.is_slip for page in pages):
        return split_by_slips(pages)
    code = code_from_filename(filename, pattern)
    if code is None:
        return [Segment(0, len(pages), None, "unmatched")]
    return [Segment(0, len(pages), code, "filename")]
