"""Any table a city page shows, as CSV for a spreadsheet: the same cells as the page."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from litestar import Response

# A cell starting with one of these is a formula to a spreadsheet: quoted as text instead
# (a node's name or a last error comes from elsewhere; it must not run in Excel).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """UTF-8 with a byte-order mark, so a spreadsheet opens the Vietnamese text right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(h) for h in header])
    writer.writerows([_cell(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode()


def csv_response(
    filename: str, header: Sequence[str], rows: Sequence[Sequence[str]]
) -> Response[bytes]:
    return Response(
        csv_bytes(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
