"""Real scan files for the tests, generated on the fly.

Pages are A4 images at a given dpi with some text and ruled lines, like a scanned form.
Slip pages carry the receipt-slip QR (``slip.slip_png`` at the page's dpi), optionally
rotated as if fed upside down or sideways. Everything is written with Pillow (PDF, TIFF,
JPEG, PNG) except the encrypted PDF, which is written by hand (see ``write_encrypted_pdf``).
"""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Sequence
from pathlib import Path

import segno
import zxingcpp
from PIL import Image, ImageDraw

from scanner_ingest.slip import slip_png

A4_INCHES = (8.27, 11.69)
CODE_A = "000.00.15.H42-270205-0003"
CODE_B = "000.00.15.H42-270205-0004"


def blank_page(dpi: int = 150, text: str = "", mode: str = "L") -> Image.Image:
    """A white A4 page with ruled lines and ``text`` near the top."""
    width, height = round(A4_INCHES[0] * dpi), round(A4_INCHES[1] * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    for y in range(dpi * 2, height - dpi, dpi // 3):
        draw.line((dpi, y, width - dpi, y), fill=120, width=max(1, dpi // 150))
    draw.text((dpi, dpi), text or "TRANG", fill=0)
    return page.convert(mode)


def _paste_top_right(page: Image.Image, symbol: Image.Image, dpi: int) -> Image.Image:
    page = page.copy()
    page.paste(symbol.convert(page.mode), (page.width - symbol.width - dpi // 2, dpi // 2))
    return page


def slip_page(code: str, dpi: int = 150, rotate: float = 0) -> Image.Image:
    """A receipt-slip page for ``code``, its QR printed at ``dpi``, rotated by ``rotate``°."""
    qr = Image.open(io.BytesIO(slip_png(code, dpi)))
    page = _paste_top_right(blank_page(dpi, f"GIAY TIEP NHAN {code}"), qr, dpi)
    if rotate:
        page = page.rotate(rotate, expand=True, fillcolor=255)
    return page


def qr_page(text: str, dpi: int = 150) -> Image.Image:
    """A page with a QR code that says ``text`` (a foreign one, or ours with a bad crc)."""
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=4, border=4)
    return _paste_top_right(blank_page(dpi, "QR KHAC"), Image.open(buffer), dpi)


def code128_page(text: str, dpi: int = 150) -> Image.Image:
    """A page with a Code 128 barcode, e.g. a courier's parcel label."""
    symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.Code128).to_image(scale=3)
    return _paste_top_right(blank_page(dpi, "MA VACH"), Image.fromarray(symbol), dpi)


def write_pdf(path: Path, pages: Sequence[Image.Image], dpi: int = 150) -> Path:
    pages[0].save(path, "PDF", save_all=True, append_images=list(pages[1:]), resolution=dpi)
    return path


def write_tiff(path: Path, pages: Sequence[Image.Image], compression: str = "group4") -> Path:
    """Multi-page TIFF; group4 (1-bit CCITT) is what most office scanners write."""
    mode = "1" if compression in ("group3", "group4") else "L"
    frames = [page.convert(mode) for page in pages]
    frames[0].save(path, "TIFF", save_all=True, append_images=frames[1:], compression=compression)
    return path


def write_jpeg(path: Path, page: Image.Image, quality: int = 75) -> Path:
    page.convert("RGB").save(path, "JPEG", quality=quality)
    return path


def write_png(path: Path, page: Image.Image) -> Path:
    page.save(path, "PNG")
    return path


def truncate(path: Path, fraction: float = 0.5) -> Path:
    """Cut ``path`` to ``fraction`` of its size, in place: a truncated file."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


# --- A password-protected PDF, written by hand -------------------------------------------
# PDFium cannot encrypt, so this writes the smallest real encrypted PDF: one empty page and a
# Standard security handler, revision 2 (RC4, 40-bit key), per PDF 1.7 (ISO 32000-1) 7.6.3,
# algorithms 2, 3 and 4. The user password is "secret": PDFium refuses it without the
# password and opens it with it, which the tests check. The document has no strings or
# streams, so nothing else needs encrypting.

_PASSWORD_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def _pad(password: bytes) -> bytes:
    return (password + _PASSWORD_PAD)[:32]


def write_encrypted_pdf(path: Path, user_password: bytes = b"secret") -> Path:
    owner = _rc4(hashlib.md5(_pad(b"owner")).digest()[:5], _pad(user_password))  # algorithm 3
    permissions = -44
    file_id = b"motcua-edge-test"
    key = hashlib.md5(  # algorithm 2
        _pad(user_password) + owner + struct.pack("<i", permissions) + file_id
    ).digest()[:5]
    user = _rc4(key, _PASSWORD_PAD)  # algorithm 4
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
        % (owner.hex().encode(), user.hex().encode(), permissions),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    hex_id = file_id.hex().encode()
    out += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [<%s> <%s>] >>\n" % (
        len(objects) + 1,
        hex_id,
        hex_id,
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    path.write_bytes(bytes(out))
    return path


# --- A large scan, written in pieces ------------------------------------------------------
# Uncompressed 8-bit grey pages (the size an A4 page has at 300 dpi without compression),
# each written from one reused buffer so hundreds of megabytes cost little time and memory.


def write_large_pdf(path: Path, size: int, first_page: Image.Image | None = None) -> int:
    """A valid PDF of at least ``size`` bytes: ``first_page`` (e.g. a slip page), then
    uncompressed 2480x3508 grey pages with ruled lines. Returns the number of pages."""
    width, height = 2480, 3508
    row = bytes([255]) * width
    ruled = bytes([255]) * 300 + bytes([90]) * (width - 600) + bytes([255]) * 300
    page_bytes = b"".join(
        ruled if y % 100 == 50 and 300 < y < height - 300 else row for y in range(height)
    )
    images: list[tuple[int, int, bytes | None]] = []
    if first_page is not None:
        grey = first_page.convert("L")
        images.append((grey.width, grey.height, grey.tobytes()))
    pages = max(1, -(-(size - sum(len(i[2] or b"") for i in images)) // len(page_bytes)))
    images += [(width, height, None)] * pages
    offsets: list[int] = []
    count = len(images)
    with path.open("wb") as f:

        def obj(number: int, body: bytes, stream: bytes | None = None) -> None:
            offsets.append(f.tell())
            assert len(offsets) == number
            f.write(b"%d 0 obj\n%s\n" % (number, body))
            if stream is not None:
                f.write(b"stream\n")
                f.write(stream)
                f.write(b"\nendstream\n")
            f.write(b"endobj\n")

        f.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        kids = b" ".join(b"%d 0 R" % (3 + 3 * i) for i in range(count))
        obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        obj(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count))
        draw = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
        for i, (w, h, data) in enumerate(images):
            page, content, image = 3 + 3 * i, 4 + 3 * i, 5 + 3 * i
            obj(
                page,
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                b"/Resources << /XObject << /Im0 %d 0 R >> >> >>" % (content, image),
            )
            obj(content, b"<< /Length %d >>" % len(draw), draw)
            pixels = data if data is not None else page_bytes
            obj(
                image,
                b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8 /Length %d >>" % (w, h, len(pixels)),
                pixels,
            )
        xref = f.tell()
        f.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
        f.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
        f.write(
            b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(offsets) + 1, xref)
        )
    return count
