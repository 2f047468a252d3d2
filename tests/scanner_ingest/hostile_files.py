"""Hostile scans: small on disk, huge once decoded. Written byte by byte, in a few ms.

Each reproduces one report of issue 10: an image whose pixels (or a content stream) inflate
to gigabytes, pages or frames that multiply the work, a JPEG that declares pixels it does
not carry. The tests and ``bench/bench_hostile.py`` write them afresh each run.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from pathlib import Path


def _zeros_deflated(size: int) -> bytes:
    """``size`` zero bytes, deflated (zlib format), in milliseconds for gigabytes.

    Once deflate's window holds only zeros, every further megabyte of zeros compresses
    (with a sync flush) to the same bytes: those are repeated instead of recomputed, then
    the stream is closed and its Adler-32 (of ``size`` zeros: a = 1, b = size) put last.
    """
    chunk = 1 << 20
    whole, rest = divmod(size, chunk)
    packer = zlib.compressobj(9)
    zeros = bytes(chunk)
    head = [packer.compress(zeros) + packer.flush(zlib.Z_SYNC_FLUSH) for _ in range(min(whole, 3))]
    out = bytearray(b"".join(head))
    if whole > 3:
        assert head[1] == head[2], "deflate of zeros did not settle"
        out += head[2] * (whole - 3)
    out += packer.compress(bytes(rest)) + packer.flush()
    adler = ((size % 65521) << 16) | 1
    out[-4:] = struct.pack(">I", adler)
    return bytes(out)


def _pdf(path: Path, objects: Sequence[tuple[bytes, bytes | None]]) -> Path:
    """A PDF of ``objects`` (dictionary, stream or None), numbered from 1; 1 is the catalog."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, (body, stream) in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\n" % (number, body)
        if stream is not None:
            out += b"stream\n" + stream + b"\nendstream\n"
        out += b"endobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


def pdf_image_bomb(path: Path, side: int = 40000, pages: int = 1) -> Path:
    """``pages`` A4 pages, each drawing one ``side`` x ``side`` grey image of zeros
    (FlateDecode): 1.5 MB on disk at 40000², 1.6 GB of pixels once decoded."""
    data = _zeros_deflated(side * side)
    kids = b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(pages))
    image_number = 3 + 2 * pages
    objects: list[tuple[bytes, bytes | None]] = [
        (b"<< /Type /Catalog /Pages 2 0 R >>", None),
        (b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages), None),
    ]
    draw = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
    for i in range(pages):
        objects.append(
            (
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                b"/Resources << /XObject << /Im0 %d 0 R >> >> >>" % (4 + 2 * i, image_number),
                None,
            )
        )
        objects.append((b"<< /Length %d >>" % len(draw), draw))
    objects.append(
        (
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>" % (side, side, len(data)),
            data,
        )
    )
    return _pdf(path, objects)


def pdf_content_bomb(path: Path, inflated: int = 2 << 30) -> Path:
    """One page whose content stream inflates to ``inflated`` bytes (NUL is white space in
    PDF: no operators, so any size is valid): 2 MB on disk for 2 GiB."""
    data = _zeros_deflated(inflated)
    return _pdf(
        path,
        [
            (b"<< /Type /Catalog /Pages 2 0 R >>", None),
            (b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", None),
            (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>", None),
            (b"<< /Length %d /Filter /FlateDecode >>" % len(data), bytes(data)),
        ],
    )


def pdf_many_huge_pages(path: Path, pages: int = 2000, side_pt: int = 200000) -> Path:
    """``pages`` empty pages of ``side_pt`` x ``side_pt`` points (70 m): 248 KB on disk."""
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(pages))
    objects: list[tuple[bytes, bytes | None]] = [
        (b"<< /Type /Catalog /Pages 2 0 R >>", None),
        (b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages), None),
    ]
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] >>" % (side_pt, side_pt)
    objects += [(page, None)] * pages
    return _pdf(path, objects)


def png_bomb(path: Path, side: int = 13000, mode: str = "RGBA") -> Path:
    """An RGBA PNG of ``side``² zeros: 657 KB on disk, 676 MB of pixels at 13000²."""
    channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    color_type = {"L": 0, "RGB": 2, "RGBA": 6}[mode]
    row = side * channels + 1  # a filter byte per row
    data = _zeros_deflated(row * side)

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", side, side, 8, color_type, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
    return path


def tiff_frames_one_strip(path: Path, frames: int = 200, side: int = 6000) -> Path:
    """A TIFF of ``frames`` ``side``² grey frames whose strip offsets all point at one
    deflated strip of zeros: each frame decodes the whole strip again."""
    strip = _zeros_deflated(side * side)
    ifd_size = 2 + 10 * 12 + 4
    strip_at = 8
    first_ifd = strip_at + len(strip) + (len(strip) % 2)
    out = bytearray(b"II*\x00" + struct.pack("<I", first_ifd))
    out += strip + b"\x00" * (len(strip) % 2)
    for i in range(frames):
        at = first_ifd + i * ifd_size
        assert len(out) == at
        next_ifd = at + ifd_size if i + 1 < frames else 0
        entries = [
            (256, 4, 1, side),  # ImageWidth
            (257, 4, 1, side),  # ImageLength
            (258, 3, 1, 8),  # BitsPerSample
            (259, 3, 1, 8),  # Compression: Adobe deflate
            (262, 3, 1, 1),  # Photometric: black is zero
            (273, 4, 1, strip_at),  # StripOffsets
            (277, 3, 1, 1),  # SamplesPerPixel
            (278, 4, 1, side),  # RowsPerStrip
            (279, 4, 1, len(strip)),  # StripByteCounts
            (284, 3, 1, 1),  # PlanarConfiguration
        ]
        out += struct.pack("<H", len(entries))
        for tag, kind, count, value in entries:
            packed = struct.pack("<HHI", tag, kind, count)
            packed += struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
            out += packed
        out += struct.pack("<I", next_ifd)
    path.write_bytes(bytes(out))
    return path


def jpeg_without_pixels(path: Path, width: int = 12000, height: int = 12000) -> Path:
    """A baseline grey JPEG that declares ``width`` x ``height`` and ends right after its
    scan header: 1 KB that a decoder fills with grey, never a scan."""

    def segment(marker: int, body: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(body) + 2) + body

    quant = segment(0xDB, b"\x00" + bytes([1] * 64))
    frame = segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    # The standard luminance tables (ITU T.81 K.3), DC then AC.
    dc_counts = bytes([0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    dc_values = bytes(range(12))
    ac_counts = bytes([0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D])
    ac_values = bytes.fromhex(
        "01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a"
        "25262728292a3435363738393a434445464748494a535455565758595a636465666768696a73747576777879"
        "7a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9"
        "cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa"
    )
    tables = segment(0xC4, b"\x00" + dc_counts + dc_values + b"\x10" + ac_counts + ac_values)
    scan = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    path.write_bytes(b"\xff\xd8" + quant + frame + tables + scan + b"\xff\xd9")
    return path
