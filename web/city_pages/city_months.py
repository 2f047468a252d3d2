"""The city's indicators month by month, for one commune or the whole city, and a month's
ranking of communes: grouped counts from the store (``central/figures.py``), rates from
``central.board.Counts``. The months are office calendar months, parsed and bounded the
node's way (``node.indicator_months``), so both sites' pages take the same ``from``/``to``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import msgspec

from central.board import MONTH_FIGURES, NOW_FIGURES, Counts
from central.store import CentralStore
from node.indicator_months import default_range, month_span, month_start, next_month, parse_month
from rules.clock import to_utc_iso
from web.page_kit.i18n import vi

EMPTY = Counts({})

#: The tables' and the CSVs' columns: (figure or rate, Vietnamese heading).
COLUMNS = (
    ("received", vi("Tiếp nhận")),
    ("finished", vi("Đã giải quyết xong")),
    ("on_time", vi("Đúng hạn")),
    ("early", vi("Trước hạn")),
    ("late", vi("Trễ hạn")),
    ("resolved", vi("Có kết quả")),
    ("returned", vi("Đã trả kết quả")),
    ("digitised", vi("Số hóa đủ")),
    ("on_time_rate", vi("Tỷ lệ đúng hạn (%)")),
    ("progress_rate", vi("Tỷ lệ đúng hạn theo QĐ 766 (%)")),
    ("digitisation_rate", vi("Tỷ lệ số hóa theo QĐ 766 (%)")),
)
#: Which count a column's number links to (a rate links to nothing).
COUNTED = {name for name, _ in COLUMNS} & set(MONTH_FIGURES)


class MonthRow(msgspec.Struct, frozen=True):
    month: str  # YYYY-MM
    first: date  # its first and last office days (the dossier lists' window)
    last: date
    counts: Counts


def value(counts: Counts, column: str) -> int | float | None:
    """A column's value: a count, or a rate (0..1, None when nothing counts)."""
    if column == "on_time_rate":
        return counts.on_time_rate
    if column == "progress_rate":
        return counts.progress_rate
    if column == "digitisation_rate":
        return counts.rate("n_components", "received")
    return counts.get(column)


def cell(number: int | float | None) -> str:
    """As the table and the CSV show it: rates in percent with one decimal."""
    if number is None:
        return ""
    if isinstance(number, float):
        return f"{number * 100:.1f}"
    return str(number)


def month_range(from_: str, to: str, now: datetime) -> list[tuple[int, int]]:
    """The months asked (the last twelve by default); DossierError naming ``from``/``to``."""
    first, last = default_range(now, 12)
    start = parse_month(from_, "from") if from_ else first
    end = parse_month(to, "to") if to else last
    return month_span(start, end)


def _bounds(year: int, month: int) -> tuple[str, str, date, date]:
    start, end = month_start(year, month), month_start(*next_month(year, month))
    return to_utc_iso(start), to_utc_iso(end), start.date(), (end - timedelta(days=1)).date()


def _summed(by_node: dict[str, Counts]) -> Counts:
    total = EMPTY
    for counts in by_node.values():
        total = total.plus(counts)
    return total


def monthly(
    store: CentralStore, node: str | None, months: list[tuple[int, int]], now: datetime
) -> list[MonthRow]:
    """One row per month for ``node`` (None: the city), each with the open dossiers now."""
    at = to_utc_iso(now)
    open_now = _summed(store.figure_counts(NOW_FIGURES, at, at, at, node))
    rows = []
    for year, month in months:
        start, end, first, last = _bounds(year, month)
        counts = _summed(store.figure_counts(MONTH_FIGURES, start, end, at, node))
        rows.append(MonthRow(f"{year:04d}-{month:02d}", first, last, counts.plus(open_now)))
    return rows


def ranking(
    store: CentralStore, node: str | None, month: tuple[int, int], now: datetime
) -> tuple[MonthRow, list[tuple[str, Counts]]]:
    """The month's communes, best 766 progress rate first (then on-time rate, then id)."""
    at = to_utc_iso(now)
    start, end, first, last = _bounds(*month)
    window = store.figure_counts(MONTH_FIGURES, start, end, at, node)
    open_now = store.figure_counts(NOW_FIGURES, at, at, at, node)
    nodes = sorted(window.keys() | open_now.keys())
    rows = [(n, window.get(n, EMPTY).plus(open_now.get(n, EMPTY))) for n in nodes]
    rows.sort(
        key=lambda r: (
            -(r[1].progress_rate if r[1].progress_rate is not None else -1.0),
            -(r[1].on_time_rate if r[1].on_time_rate is not None else -1.0),
            r[0],
        )
    )
    label = f"{month[0]:04d}-{month[1]:02d}"
    return MonthRow(label, first, last, _summed(dict(rows))), rows
