"""The QR code printed on the receipt slip, which files a scan under its dossier.

Payload: ``HS1:{dossier code}:{crc}``, crc being ``zlib.crc32`` of the code's UTF-8 bytes
as 8 upper-case hex digits. With the default dossier codes the whole payload is in the QR
alphanumeric set (0-9 A-Z space $%*+-./:), which keeps the symbol small (version 2-4).
"""

from __future__ import annotations

import io
import zlib

import segno

SLIP_PREFIX = "HS1"
#: A dossier code is an opaque string of at most this many characters.
MAX_CODE_LENGTH = 50


def _crc(code: str) -> str:
    return f"{zlib.crc32(code.encode('utf-8')):08X}"


def _valid_code(code: str) -> bool:
    return 0 < len(code) <= MAX_CODE_LENGTH and code.isprintable() and code == code.strip()


def slip_payload(dossier_code: str) -> str:
    """The QR text for ``dossier_code``; ValueError if the code is empty, too long or not
    printable."""
    if not _valid_code(dossier_code):
        raise ValueError(f"not a dossier code: {dossier_code!r}")
    return f"{SLIP_PREFIX}:{dossier_code}:{_crc(dossier_code)}"


def parse_slip(text: str) -> str | None:
    """The dossier code in a slip payload, or None if the text is not ours or its crc fails."""
    prefix, sep, rest = text.partition(":")
    if prefix != SLIP_PREFIX or not sep:
        return None
    code, sep, crc = rest.rpartition(":")
    if not sep or not _valid_code(code) or crc != _crc(code):
        return None
    return code


def slip_qr(dossier_code: str) -> segno.QRCode:
    """The slip's QR symbol for ``dossier_code`` (error correction M, never a Micro QR): the
    one encoder behind the PNG here and the SVG printed on form 01."""
    return segno.make(slip_payload(dossier_code), error="m", micro=False)


def slip_png(dossier_code: str, dpi: int = 300, *, module_mm: float = 0.6) -> bytes:
    """A PNG of the slip's QR code for printing at ``dpi``, each module about ``module_mm``
    wide (0.6 mm: a 25 mm square for today's codes, still 3-4 pixels a module in a 150 dpi
    scan), with the standard 4-module quiet zone and the dpi recorded in the file."""
    if dpi <= 0 or module_mm <= 0:
        raise ValueError("dpi and module_mm must be positive")
    qr = slip_qr(dossier_code)
    out = io.BytesIO()
    scale = max(1, round(dpi * module_mm / 25.4))
    qr.save(out, kind="png", scale=scale, border=4, dpi=dpi)
    return out.getvalue()
