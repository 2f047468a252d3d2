"""A commune's page (``/communes/{node_id}``, its table as ``.../indicators.csv``):
the node's presence and replication, and its indicators per month with charts, each count
a link to its dossiers. Another commune's page is 404 to a commune-viewer, as a commune
that never replicated here is (``central.scope``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Template

from central.board import EMPTY, BoardRow
from central.runtime import CentralRuntime
from central.scope import no_such_node, node_filter
from central.store import NodeRow
from rules.actor import Actor
from rules.clock import utc_now
from rules.permissions import Operation, require
from web.city_pages.board_page import NODE_HEADINGS, node_cells
from web.city_pages.city_months import COLUMNS, MonthRow, month_range, monthly
from web.city_pages.indicator_views import charts, csv_table, month_label, table_cells
from web.city_pages.navigation import city_page
from web.city_pages.table_csv import csv_response
from web.json_api.identity import CurrentActor
from web.page_kit.i18n import vi
from web.page_kit.request_context import page_translator

Central = NamedDependency[CentralRuntime]
NodeId = Annotated[str, PathParameter(max_length=64, pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
MonthParam = Annotated[str, QueryParameter(max_length=7)]
FromMonth = Annotated[str, QueryParameter(name="from", max_length=7)]


def read_commune(
    central: CentralRuntime, actor: Actor, node_id: str, from_: str, to: str, now: datetime
) -> tuple[NodeRow, list[MonthRow]]:
    require(actor, Operation.VIEW_CITY)
    node_filter(actor, node_id)  # another commune's: NotFound, as a missing one
    row = central.store.get_node(node_id)
    if row is None:
        raise no_such_node(node_id)
    return row, monthly(central.store, node_id, month_range(from_, to, now), now)


class CommunePage(Controller):
    include_in_schema = False

    @get("/communes/{node_id:str}", name="city:commune", sync_to_thread=True)
    def show(
        self,
        request: Request[Any, Any, Any],
        central: Central,
        actor: CurrentActor,
        node_id: NodeId,
        from_: FromMonth = "",
        to: MonthParam = "",
    ) -> Template:
        now = utc_now()
        node, months = read_commune(central, actor, node_id, from_, to, now)
        _ = page_translator(request)
        return city_page(
            request,
            "commune.html",
            actor=actor,
            node=node,
            details=list(
                zip(NODE_HEADINGS, node_cells(BoardRow(node, EMPTY), now, _), strict=True)
            ),
            months=months,
            charts=charts(months, _),
            columns=COLUMNS,
            cells=lambda row: table_cells(row, node_id),
            month_label=month_label,
            # The range shown (the last twelve months when none was asked), as the node's
            # indicators page fills its fields.
            values={"from": months[0].month, "to": months[-1].month},
        )

    @get("/communes/{node_id:str}/indicators.csv", name="city:commune-csv", sync_to_thread=True)
    def export(
        self,
        request: Request[Any, Any, Any],
        central: Central,
        actor: CurrentActor,
        node_id: NodeId,
        from_: FromMonth = "",
        to: MonthParam = "",
    ) -> Response[bytes]:
        _node, months = read_commune(central, actor, node_id, from_, to, utc_now())
        _ = page_translator(request)
        header, rows = csv_table(months, _, vi("Tháng"))
        return csv_response(f"chi-so-{node_id}.csv", header, rows)
