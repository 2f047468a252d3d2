"""Sizes and durations as staff read them (Vietnamese number style: 1.234 and 2,5)."""

from __future__ import annotations

from web.page_kit.i18n import Translate, vi


def decimal(value: float, places: int = 1) -> str:
    """``1234.5`` → ``1.234,5``; whole numbers without decimals."""
    text = f"{value:,.{places}f}" if not float(value).is_integer() else f"{int(value):,}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def size_text(size: int) -> str:
    """Bytes in B, kB, MB or GB (powers of 1000, as disks are sold)."""
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000 or unit == "TB":
            return f"{decimal(round(value, 1))} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def age_text(seconds: float | None, _: Translate) -> str:
    """A duration in its two largest units: ``2 giờ 5 phút``; "" for none."""
    if seconds is None:
        return ""
    left = max(0, int(seconds))
    units = ((86400, vi("ngày")), (3600, vi("giờ")), (60, vi("phút")), (1, vi("giây")))
    parts: list[str] = []
    for length, name in units:
        if left >= length or (length == 1 and not parts):
            parts.append(f"{left // length} {_(name)}")
            left %= length
        if len(parts) == 2:
            break
    return " ".join(parts)
