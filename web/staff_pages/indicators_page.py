"""The indicators page (``/indicators``): the node's figures per month, charts drawn on the
server, and the same figures as CSV (``/indicators.csv``) for Excel."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter
from litestar.response import Template

from node import indicator_months, rating_months
from node.indicator_months import MonthlyIndicators
from rules.actor import Actor
from rules.clock import utc_now
from rules.errors import DossierError
from web.json_api.identity import CurrentActor
from web.page_kit.i18n import vi
from web.page_kit.request_context import page_translator
from web.page_kit.svg_charts import Series, bar_chart
from web.staff_pages.dossier_list import Runtime
from web.staff_pages.navigation import staff_page

MonthParam = Annotated[str, QueryParameter(max_length=7)]

# The table's and the CSV's columns: (figure, Vietnamese heading).
COLUMNS = (
    ("received", vi("Tiếp nhận")),
    ("finished", vi("Đã giải quyết xong")),
    ("on_time", vi("Đúng hạn")),
    ("early", vi("Trước hạn")),
    ("late", vi("Trễ hạn")),
    ("resolved", vi("Có kết quả")),
    ("digitised", vi("Số hóa đủ")),
    ("on_time_rate", vi("Tỷ lệ đúng hạn (%)")),
    ("progress_rate", vi("Tỷ lệ đúng hạn theo QĐ 766 (%)")),
    ("digitisation_rate", vi("Tỷ lệ số hóa theo QĐ 766 (%)")),
)
MONTH_ERRORS = {
    "from": vi("Tháng bắt đầu phải viết dạng NNNN-TT, ví dụ 2025-03."),
    "to": vi(
        "Tháng kết thúc phải viết dạng NNNN-TT và không trước tháng bắt đầu; tối đa 36 tháng."
    ),
}


def month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{number}/{year}"


def cell(value: object) -> str:
    """A figure as the table and the CSV show it: rates in percent with one decimal."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value * 100:.1f}"
    return str(value)


def _figures(
    runtime: Any, from_: str, to: str
) -> tuple[MonthlyIndicators | None, dict[str, str], str, str]:
    """The figures for the range asked (the last six months by default), or the errors."""
    first, last = indicator_months.default_range(utc_now())
    from_ = from_ or f"{first[0]:04d}-{first[1]:02d}"
    to = to or f"{last[0]:04d}-{last[1]:02d}"
    try:
        start = indicator_months.parse_month(from_, "from")
        end = indicator_months.parse_month(to, "to")
        return indicator_months.monthly(runtime, start, end), {}, from_, to
    except DossierError as exc:
        field = exc.field if exc.field in MONTH_ERRORS else "to"
        return None, {field: MONTH_ERRORS[field]}, from_, to


def charts(figures: MonthlyIndicators, _: Any) -> list[Any]:
    labels = [month_label(m.month) for m in figures.months]
    timeliness = bar_chart(
        _("Hồ sơ giải quyết xong theo tháng: đúng hạn và trễ hạn"),
        labels,
        [
            Series(_("Đúng hạn"), [m.on_time for m in figures.months], "#1b7f3b"),
            Series(_("Trễ hạn"), [m.late for m in figures.months], "#b3261e"),
        ],
        description=_("Số liệu chi tiết ở bảng bên dưới."),
        chart_id="chart-timeliness",
    )
    received = bar_chart(
        _("Hồ sơ tiếp nhận theo tháng"),
        labels,
        [Series(_("Tiếp nhận"), [m.received for m in figures.months], "#0b5cab")],
        description=_("Số liệu chi tiết ở bảng bên dưới."),
        chart_id="chart-received",
    )
    return [timeliness, received]


class IndicatorsPage(Controller):
    include_in_schema = False

    @get("/indicators", name="pages:indicators", sync_to_thread=True)
    def show(
        self,
        request: Request[Any, Any, Any],
        runtime: Runtime,
        actor: CurrentActor,
        from_: Annotated[str, QueryParameter(name="from", max_length=7)] = "",
        to: MonthParam = "",
    ) -> Template:
        figures, errors, from_, to = _figures(runtime, from_, to)
        translate = page_translator(request)
        rendered = _render(request, actor, figures, errors, from_, to, translate)
        rendered.context["ratings"] = None
        if figures is not None:  # the months are valid: the citizens' ratings over them
            first = indicator_months.parse_month(from_, "from")
            last = indicator_months.parse_month(to, "to")
            rendered.context["ratings"] = rating_months.months_indicators(runtime, first, last)
        return rendered

    @get("/indicators.csv", name="pages:indicators-csv", sync_to_thread=True)
    def export(
        self,
        request: Request[Any, Any, Any],
        runtime: Runtime,
        actor: CurrentActor,
        from_: Annotated[str, QueryParameter(name="from", max_length=7)] = "",
        to: MonthParam = "",
    ) -> Response[bytes]:
        figures, errors, from_, to = _figures(runtime, from_, to)
        translate = page_translator(request)
        if figures is None:
            text = "\n".join(translate(m) for m in errors.values())
            return Response(text.encode(), status_code=400, media_type="text/plain; charset=utf-8")
        return Response(
            csv_bytes(figures, translate),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="chi-so-{from_}-{to}.csv"'},
        )


def _render(
    request: Request[Any, Any, Any],
    actor: Actor,
    figures: MonthlyIndicators | None,
    errors: dict[str, str],
    from_: str,
    to: str,
    translate: Any,
) -> Template:
    return staff_page(
        request,
        "indicators.html",
        actor=actor,
        status_code=400 if errors else 200,
        figures=figures,
        charts=[] if figures is None else charts(figures, translate),
        columns=COLUMNS,
        cell=cell,
        month_label=month_label,
        errors={k: translate(v) for k, v in errors.items()},
        values={"from": from_, "to": to},
    )


def csv_bytes(figures: MonthlyIndicators, translate: Any) -> bytes:
    """UTF-8 with a byte-order mark, so Excel shows the Vietnamese headings correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([translate("Tháng"), *(translate(label) for _, label in COLUMNS)])
    for m in figures.months:
        writer.writerow([month_label(m.month), *(cell(getattr(m, name)) for name, _ in COLUMNS)])
    return "\ufeff".encode() + out.getvalue().encode()
