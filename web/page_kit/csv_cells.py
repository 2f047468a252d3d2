"""CSV for spreadsheets, one way for every page that offers its table as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

# A cell starting with one of these is a formula to a spreadsheet: quoted as text instead.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: str) -> str:
    """``value`` as text a spreadsheet will not evaluate (``=HYPERLINK(...)`` stays text)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_document(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """UTF-8 with a byte-order mark, so a spreadsheet opens the Vietnamese text right; every
    cell made safe by :func:`spreadsheet_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([spreadsheet_cell(h) for h in header])
    for row in rows:
        writer.writerow([spreadsheet_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode()
