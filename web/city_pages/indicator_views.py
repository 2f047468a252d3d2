"""What the commune page and the city's indicators page share: the month table as page
rows and CSV rows, its charts, and each count's link to the dossiers behind it."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from web.city_pages.city_months import COLUMNS, COUNTED, MonthRow, cell, value
from web.city_pages.figure_links import figure_url
from web.page_kit.i18n import Translate
from web.page_kit.svg_charts import Series, bar_chart


def month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{number}/{year}"


def table_cells(row: MonthRow, node: str | None) -> list[tuple[str, str | None]]:
    """(text, link or None) per column of ``COLUMNS``."""
    return [
        (
            cell(value(row.counts, name)),
            figure_url(name, node, row.first, row.last) if name in COUNTED else None,
        )
        for name, _ in COLUMNS
    ]


def csv_table(
    rows: Sequence[MonthRow], _: Translate, first_heading: str
) -> tuple[list[str], list[list[str]]]:
    header = [_(first_heading), *(_(label) for _name, label in COLUMNS)]
    body = [
        [month_label(r.month), *(cell(value(r.counts, name)) for name, _label in COLUMNS)]
        for r in rows
    ]
    return header, body


def charts(rows: Sequence[MonthRow], _: Translate) -> list[Markup]:
    labels = [month_label(r.month) for r in rows]
    note = _("Số liệu chi tiết ở bảng bên dưới.")
    return [
        bar_chart(
            _("Hồ sơ giải quyết xong theo tháng: đúng hạn và trễ hạn"),
            labels,
            [
                Series(_("Đúng hạn"), [r.counts.get("on_time") for r in rows], "#1b7f3b"),
                Series(_("Trễ hạn"), [r.counts.get("late") for r in rows], "#b3261e"),
            ],
            description=note,
            chart_id="chart-timeliness",
        ),
        bar_chart(
            _("Hồ sơ tiếp nhận theo tháng"),
            labels,
            [Series(_("Tiếp nhận"), [r.counts.get("received") for r in rows], "#0b5cab")],
            description=note,
            chart_id="chart-received",
        ),
    ]
