"""The city's indicators (``/indicators``): the national indicators per month for the whole
city (or a commune-viewer's commune), with charts, a month's ranking of communes, and each
count a link to the dossiers behind it (``/indicators/dossiers``). Every table is also CSV:
``/indicators.csv``, ``/indicators/ranking.csv``, ``/indicators/dossiers.csv``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from central.board import FigureDossier
from central.figures import FIGURES
from central.runtime import CentralRuntime
from central.scope import node_filter
from node.indicator_months import parse_month
from rules.actor import Actor
from rules.clock import OFFICE_TZ, to_utc_iso, utc_now
from rules.errors import DossierError
from rules.lifecycle import STATUS_LABELS_VI, Status
from rules.permissions import Operation, require
from web.city_pages.city_months import (
    COLUMNS,
    MonthRow,
    cell,
    month_range,
    monthly,
    ranking,
    value,
)
from web.city_pages.figure_links import LABELS
from web.city_pages.indicator_views import charts, csv_table, month_label, table_cells
from web.city_pages.navigation import city_page
from web.city_pages.table_csv import csv_response
from web.json_api.identity import CurrentActor
from web.page_kit.i18n import Translate, vi
from web.page_kit.rendering import local_datetime
from web.page_kit.request_context import page_translator

Central = NamedDependency[CentralRuntime]
MonthParam = Annotated[str, QueryParameter(max_length=7)]
FromMonth = Annotated[str, QueryParameter(name="from", max_length=10)]
ToParam = Annotated[str, QueryParameter(max_length=10)]
NodeParam = Annotated[str, QueryParameter(max_length=64, pattern=r"^[a-z0-9-]*$")]
FigureParam = Annotated[str, QueryParameter(max_length=40)]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000)]
PAGE_SIZE = 100
CSV_LIMIT = 100_000
LIST_HEADINGS = (
    vi("Mã hồ sơ"),
    vi("Xã/phường"),
    vi("Trạng thái"),
    vi("Ngày nhận"),
    vi("Hạn theo luật"),
    vi("Kết thúc xử lý"),
)


class CityIndicators(msgspec.Struct, frozen=True):
    months: list[MonthRow]
    month: MonthRow  # the ranking's month, summed over its communes
    ranking: list[tuple[str, Any]]  # (node id, Counts), best first


def read_indicators(
    central: CentralRuntime, actor: Actor, from_: str, to: str, month: str, now: datetime
) -> CityIndicators:
    require(actor, Operation.VIEW_CITY)
    node = node_filter(actor, None)
    months = month_range(from_, to, now)
    chosen = parse_month(month, "month") if month else months[-1]
    total, ranked = ranking(central.store, node, chosen, now)
    return CityIndicators(monthly(central.store, node, months, now), total, ranked)


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DossierError(
            f"{field} must be a day written YYYY-MM-DD, e.g. 2026-03-01", field
        ) from None


def read_figure_dossiers(
    central: CentralRuntime,
    actor: Actor,
    figure: str,
    node: str,
    from_: str,
    to: str,
    limit: int,
    offset: int,
    now: datetime,
) -> tuple[list[FigureDossier], int, date, date]:
    """The dossiers ``figure`` counts from ``from_`` to ``to`` (office days, inclusive)."""
    require(actor, Operation.VIEW_CITY)
    if figure not in FIGURES:
        raise DossierError(f"figure must be one of {', '.join(sorted(FIGURES))}", "figure")
    scope = node_filter(actor, node or None)
    today = now.astimezone(OFFICE_TZ).date()
    first = _day(from_, "from") if from_ else today
    last = _day(to, "to") if to else first
    if last < first:
        raise DossierError("to comes before from", "to")
    start = datetime(first.year, first.month, first.day, tzinfo=OFFICE_TZ)
    end = datetime(last.year, last.month, last.day, tzinfo=OFFICE_TZ) + timedelta(days=1)
    found, total = central.store.figure_dossiers(
        figure, to_utc_iso(start), to_utc_iso(end), to_utc_iso(now), scope, limit, offset
    )
    return found, total, first, last


def dossier_cells(d: FigureDossier, status_label: Callable[[int], str]) -> list[str]:
    return [
        d.code,
        d.node_id,
        status_label(d.status),
        local_datetime(d.received_at),
        local_datetime(d.due_at),
        local_datetime(d.finished_at),
    ]


def _ranking_table(result: CityIndicators, _: Translate) -> tuple[list[str], list[list[str]]]:
    header = [_(vi("Hạng")), _(vi("Xã/phường")), *(_(label) for _n, label in COLUMNS)]
    rows = [
        [str(i), node, *(cell(value(counts, name)) for name, _l in COLUMNS)]
        for i, (node, counts) in enumerate(result.ranking, start=1)
    ]
    return header, rows


class CityIndicatorPages(Controller):
    include_in_schema = False

    @get("/indicators", name="city:indicators", sync_to_thread=True)
    def show(
        self,
        request: Request[Any, Any, Any],
        central: Central,
        actor: CurrentActor,
        from_: FromMonth = "",
        to: ToParam = "",
        month: MonthParam = "",
    ) -> Template:
        result = read_indicators(central, actor, from_, to, month, utc_now())
        _ = page_translator(request)
        return city_page(
            request,
            "city_indicators.html",
            actor=actor,
            result=result,
            charts=charts(result.months, _),
            columns=COLUMNS,
            city_cells=lambda row: table_cells(row, None),
            node_cells=lambda node, counts: table_cells(
                MonthRow(result.month.month, result.month.first, result.month.last, counts), node
            ),
            month_label=month_label,
            values={
                "from": result.months[0].month,
                "to": result.months[-1].month,
                "month": result.month.month,
            },
        )

    @get("/indicators.csv", name="city:indicators-csv", sync_to_thread=True)
    def export(
        self,
        request: Request[Any, Any, Any],
        central: Central,
        actor: CurrentActor,
        from_: FromMonth = "",
        to: ToParam = "",
    ) -> Response[bytes]:
        result = read_indicators(central, actor, from_, to, "", utc_now())
        _ = page_translator(request)
        header, rows = csv_table(result.months, _, vi("Tháng"))
        return csv_response("chi-so-thanh-pho.csv", header, rows)

    @get("/indicators/ranking.csv", name="city:ranking-csv", sync_to_thread=True)
    def export_ranking(
        self,
        request: Request[Any, Any, Any],
        central: Central,
        actor: CurrentActor,
        month: MonthParam = "",
    ) -> Response[bytes]:
        result = read_indicators(central, actor, "", "", month, utc_now())
        _ = page_translator(request)
        header, rows = _ranking_table(result, _)
        return csv_response(f"xep-hang-{result.month.month}.csv", header, rows)

    @get("/indicators/dossiers", name="city:figure-dossiers", sync_to_thread=True)
    def dossiers(
        self,
        request: Request[Any, Any, Any],
        central: Central,
        actor: CurrentActor,
        figure: FigureParam,
        node: NodeParam = "",
        from_: FromMonth = "",
        to: ToParam = "",
        offset: Offset = 0,
    ) -> Template:
        found, total, first, last = read_figure_dossiers(
            central, actor, figure, node, from_, to, PAGE_SIZE, offset, utc_now()
        )
        return city_page(
            request,
            "figure_dossiers.html",
            actor=actor,
            figure=figure,
            label=LABELS.get(figure, figure),
            window=FIGURES[figure].kind == "window",
            node=node,
            first=first,
            last=last,
            found=found,
            total=total,
            limit=PAGE_SIZE,
            offset=offset,
            headings=LIST_HEADINGS,
            local=local_datetime,
            query=lambda **more: urlencode(
                {"figure": figure, "node": node, "from": first.isoformat(), "to": last.isoformat()}
                | {k: str(v) for k, v in more.items()}
            ),
        )

    @get("/indicators/dossiers.csv", name="city:figure-dossiers-csv", sync_to_thread=True)
    def dossiers_csv(
        self,
        request: Request[Any, Any, Any],
        central: Central,
        actor: CurrentActor,
        figure: FigureParam,
        node: NodeParam = "",
        from_: FromMonth = "",
        to: ToParam = "",
    ) -> Response[bytes]:
        found, _total, first, last = read_figure_dossiers(
            central, actor, figure, node, from_, to, CSV_LIMIT, 0, utc_now()
        )
        _ = page_translator(request)
        status = _status_label(_)
        rows = [dossier_cells(d, status) for d in found]
        name = f"ho-so-{figure}-{first.isoformat()}-{last.isoformat()}.csv"
        return csv_response(name, [_(h) for h in LIST_HEADINGS], rows)


def _status_label(_: Translate) -> Callable[[int], str]:
    return lambda code: _(STATUS_LABELS_VI[Status(int(code))])
