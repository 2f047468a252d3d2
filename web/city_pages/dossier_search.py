"""The city's dossier search: query parameters a bookmark keeps, turned into a ``DossierQuery``
limited to what the viewer may see.

One dependency (``CITY_SEARCH``) reads them for the page and its CSV, so both answer the same
question for the same URL. ``node``, ``status`` and ``overdue`` are also what the communes
board links with; ``from`` and ``to`` are office-local days (``to`` inclusive) or ISO times,
read as the city's JSON API reads them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

import msgspec
from litestar.di import Provide
from litestar.params import FromQuery, QueryParameter

from central.scope import node_filter
from central.store import DossierQuery
from rules.actor import Actor
from rules.clock import from_utc_iso, to_utc_iso
from rules.errors import DossierError
from web.json_api.params import MAX_SEARCH_LENGTH, NO_CONTROL_CHARACTERS, parse_bound


class CitySearch(msgspec.Struct, frozen=True):
    q: str = ""  # a code, a name, an ID number or a phone
    procedure: str = ""  # a procedure's national code
    node: str = ""  # a commune node's id
    status: str = ""  # "" or 1..10, as the select sends it
    overdue: bool = False
    start: str = ""  # the ``from`` parameter, as typed
    end: str = ""  # the ``to`` parameter, as typed
    offset: int = 0

    def params(self, **changes: object) -> str:
        """This search as a URL query string, defaults left out, with ``changes`` applied."""
        values: dict[str, object] = {f: getattr(self, f) for f in self.__struct_fields__}
        values.update(changes)
        defaults = CitySearch()
        names = {"start": "from", "end": "to"}
        kept = {
            names.get(k, k): ("1" if v is True else v)
            for k, v in values.items()
            if v != getattr(defaults, k) and v not in ("", None)
        }
        return urlencode(kept)

    def to_query(self, actor: Actor, now: datetime, limit: int, offset: int) -> DossierQuery:
        """The store's query for ``actor``: NotFound for a node outside its scope,
        DossierError naming ``from`` or ``to`` for a date that is not one."""
        start = parse_bound(self.start, "from", end=False)
        end = parse_bound(self.end, "to", end=True)
        if start is not None and end is not None and from_utc_iso(start) >= from_utc_iso(end):
            raise DossierError("from must come before to", "to")
        return DossierQuery(
            node=node_filter(actor, self.node or None),
            q=self.q.strip() or None,
            procedure_code=self.procedure.strip() or None,
            status=int(self.status) if self.status else None,
            received_from=start,
            received_to=end,
            overdue=True if self.overdue else None,
            now=to_utc_iso(now),
            limit=limit,
            offset=offset,
        )


Text = Annotated[str, QueryParameter(max_length=MAX_SEARCH_LENGTH, pattern=NO_CONTROL_CHARACTERS)]
Short = Annotated[str, QueryParameter(max_length=50, pattern=NO_CONTROL_CHARACTERS)]
# A node id as the wire allows it (sync.topics) is at most 64 characters; 200 as the API.
NodeText = Annotated[str, QueryParameter(max_length=200, pattern=NO_CONTROL_CHARACTERS)]


def city_search(
    q: Text = "",
    procedure: Short = "",
    node: NodeText = "",
    status: Annotated[str, QueryParameter(pattern=r"^([1-9]|10)?$")] = "",
    overdue: FromQuery[bool] = False,
    from_: Annotated[
        str, QueryParameter(name="from", max_length=40, pattern=NO_CONTROL_CHARACTERS)
    ] = "",
    to: Annotated[str, QueryParameter(max_length=40, pattern=NO_CONTROL_CHARACTERS)] = "",
    offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
) -> CitySearch:
    return CitySearch(q, procedure, node, status, overdue, from_, to, offset)


CITY_SEARCH = {"search": Provide(city_search, sync_to_thread=False)}
