"""The dossier list's filters: query parameters a bookmark keeps, turned into a DossierFilter.

One dependency (``LIST_QUERY``) reads them for the page and for its CSV, so both answer the
same question for the same URL.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Literal
from urllib.parse import urlencode

import msgspec
from litestar.di import Provide
from litestar.params import FromQuery, QueryParameter

from rules.clock import OFFICE_TZ, from_utc_iso, to_utc_iso
from rules.projection import DossierState
from rules.timeliness import is_overdue
from storage.dossier_rows import DossierFilter
from web.json_api.params import MAX_SEARCH_LENGTH, NO_CONTROL_CHARACTERS
from web.page_kit.i18n import vi

Sort = Literal["received_desc", "received_asc", "due_asc", "due_desc"]
DueWindow = Literal["", "today", "week"]

SORT_LABELS: dict[str, str] = {
    "received_desc": vi("Nhận mới nhất trước"),
    "received_asc": vi("Nhận cũ nhất trước"),
    "due_asc": vi("Hạn gần nhất trước"),
    "due_desc": vi("Hạn xa nhất trước"),
}
DUE_LABELS: dict[str, str] = {
    "": vi("Mọi hạn"),
    "today": vi("Đến hạn hôm nay"),
    "week": vi("Đến hạn trong tuần này"),
}


class ListQuery(msgspec.Struct, frozen=True):
    q: str = ""
    status: str = ""  # "" or 1..10, as the select sends it
    procedure: str = ""
    overdue: bool = False
    due: DueWindow = ""
    provisional: bool = False
    sort: Sort = "received_desc"
    offset: int = 0

    def params(self, **changes: object) -> str:
        """This query as a URL query string, defaults left out, with ``changes`` applied."""
        values = {f: getattr(self, f) for f in self.__struct_fields__}
        values.update(changes)
        defaults = ListQuery()
        kept = {
            k: ("1" if v is True else v)
            for k, v in values.items()
            if v != getattr(defaults, k) and v not in ("", None)
        }
        return urlencode(kept)

    def to_filter(self, now: datetime, limit: int) -> DossierFilter:
        sort, direction = self.sort.split("_")
        due_from, due_to = _window(self.due, now)
        return DossierFilter(
            q=self.q.strip() or None,
            status=int(self.status) if self.status else None,
            procedure_code=self.procedure or None,
            overdue=True if self.overdue else None,
            open_only=bool(self.due),
            due_from=due_from,
            due_to=due_to,
            provisional=True if self.provisional else None,
            sort="due" if sort == "due" else "received",
            descending=direction == "desc",
            now=to_utc_iso(now),
            limit=limit,
            offset=self.offset,
        )


def _window(due: DueWindow, now: datetime) -> tuple[str | None, str | None]:
    """Office-local today, or this week from Monday to Sunday, as UTC bounds."""
    if not due:
        return None, None
    today = now.astimezone(OFFICE_TZ).date()
    start = today if due == "today" else today - timedelta(days=today.weekday())
    end = start + timedelta(days=1 if due == "today" else 7)
    return (
        to_utc_iso(datetime.combine(start, time(), OFFICE_TZ)),
        to_utc_iso(datetime.combine(end, time(), OFFICE_TZ)),
    )


def row_mark(state: DossierState, now: datetime) -> str:
    """ "overdue", "due-soon" (a running clock whose legal deadline falls by the end of
    tomorrow, office time) or ""."""
    if is_overdue(state, now):
        return "overdue"
    if state.finished_at is not None or state.statutory_due_at is None or state.status in (1, 5):
        return ""
    tomorrow_end = datetime.combine(
        now.astimezone(OFFICE_TZ).date() + timedelta(days=2), time(), OFFICE_TZ
    )
    return "due-soon" if from_utc_iso(state.statutory_due_at) < tomorrow_end else ""


Text = Annotated[str, QueryParameter(max_length=MAX_SEARCH_LENGTH, pattern=NO_CONTROL_CHARACTERS)]


def list_query(
    q: Text = "",
    status: Annotated[str, QueryParameter(pattern=r"^([1-9]|10)?$")] = "",
    procedure: Annotated[str, QueryParameter(max_length=50, pattern=NO_CONTROL_CHARACTERS)] = "",
    overdue: FromQuery[bool] = False,
    due: FromQuery[DueWindow] = "",
    provisional: FromQuery[bool] = False,
    sort: FromQuery[Sort] = "received_desc",
    offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
) -> ListQuery:
    return ListQuery(q, status, procedure, overdue, due, provisional, sort, offset)


LIST_QUERY = {"filters": Provide(list_query, sync_to_thread=False)}
