"""The communes board (``/board``, and ``/board.csv``): one row per commune node, worst
first (diverged, offline, most behind), its presence and replication, and today's counts,
each a link to the dossiers it counts. A commune-viewer's board has its own row only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.response import Template

from central.board import TODAY_FIGURES, Board, BoardRow, office_day
from central.runtime import CentralRuntime
from central.scope import node_filter
from rules.actor import Actor
from rules.clock import to_utc_iso, utc_now
from rules.permissions import Operation, require
from web.city_pages.figure_links import LABELS, figure_url
from web.city_pages.navigation import city_page
from web.city_pages.table_csv import csv_response
from web.json_api.identity import CurrentActor
from web.page_kit.i18n import Translate, vi
from web.page_kit.quantities import age_text, size_text
from web.page_kit.rendering import local_datetime
from web.page_kit.request_context import page_translator

Central = NamedDependency[CentralRuntime]

NODE_HEADINGS = (
    vi("Xã/phường"),
    vi("Trạng thái"),
    vi("Từ lúc"),
    vi("Lần cuối liên lạc"),
    vi("Phiên bản"),
    vi("Sự kiện chờ gửi"),
    vi("Tệp chờ gửi"),
    vi("Chờ lâu nhất"),
    vi("Lỗi gần nhất"),
    vi("Lệch dữ liệu"),
    vi("Dung lượng trống"),
)


def read_board(central: CentralRuntime, actor: Actor, now: datetime) -> tuple[date, Board]:
    require(actor, Operation.VIEW_CITY)
    today, start, end = office_day(now)
    return today, central.store.board(start, end, to_utc_iso(now), node_filter(actor, None))


def node_cells(row: BoardRow, now: datetime, _: Translate) -> list[str]:
    """The presence and replication cells of a row, as the page and the CSV show them."""
    node = row.node
    return [
        node.node_id,
        _(vi("Trực tuyến")) if node.online else _(vi("Mất kết nối")),
        local_datetime(node.presence_since),
        local_datetime(node.last_seen),
        node.software_version,
        str(row.pending_events),
        str(node.pending_files),
        age_text(row.oldest_pending_seconds(now), _),
        node.last_error or "",
        local_datetime(node.diverged_at),
        "" if node.disk_free is None else size_text(node.disk_free),
    ]


class BoardPage(Controller):
    include_in_schema = False

    @get("/board", name="city:board", sync_to_thread=True)
    def show(
        self, request: Request[Any, Any, Any], central: Central, actor: CurrentActor
    ) -> Template:
        now = utc_now()
        today, board = read_board(central, actor, now)
        _ = page_translator(request)
        return city_page(
            request,
            "board.html",
            actor=actor,
            board=board,
            figures=TODAY_FIGURES,
            labels=LABELS,
            headings=NODE_HEADINGS,
            rows=[(r, node_cells(r, now, _)) for r in board.rows],
            link=lambda figure, node: figure_url(figure, node, today, today),
            today=today,
        )

    @get("/board.csv", name="city:board-csv", sync_to_thread=True)
    def export(
        self, request: Request[Any, Any, Any], central: Central, actor: CurrentActor
    ) -> Response[bytes]:
        now = utc_now()
        today, board = read_board(central, actor, now)
        _ = page_translator(request)
        header = [_(h) for h in NODE_HEADINGS] + [_(LABELS[f]) for f in TODAY_FIGURES]
        rows = [
            node_cells(r, now, _) + [str(r.today.get(f)) for f in TODAY_FIGURES] for r in board.rows
        ]
        return csv_response(f"bang-xa-phuong-{today.isoformat()}.csv", header, rows)
