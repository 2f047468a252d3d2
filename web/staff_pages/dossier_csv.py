"""The dossier list as CSV: the columns the page shows, nothing more of the citizen."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from rules.lifecycle import STATUS_LABELS_VI, Status
from rules.projection import DossierState
from web.page_kit.csv_cells import spreadsheet_cell as _cell
from web.page_kit.i18n import Translate, vi
from web.page_kit.rendering import local_datetime
from web.staff_pages.list_filters import row_mark

CSV_LIMIT = 100_000
HEADER = (
    vi("Mã hồ sơ"),
    vi("Người nộp"),
    vi("Mã thủ tục"),
    vi("Thủ tục"),
    vi("Trạng thái"),
    vi("Ngày nhận"),
    vi("Ngày hẹn trả"),
    vi("Hạn theo luật"),
    vi("Quá hạn"),
)


def dossiers_csv(states: list[DossierState], now: datetime, translate: Translate) -> bytes:
    """UTF-8 with a byte-order mark, so a spreadsheet opens the Vietnamese text right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([translate(h) for h in HEADER])
    yes = translate(vi("Có"))
    for s in states:
        writer.writerow(
            _cell(v)
            for v in (
                s.code,
                s.applicant.full_name,
                s.procedure_code,
                s.procedure_name,
                translate(STATUS_LABELS_VI[Status(s.status)]),
                local_datetime(s.received_at),
                local_datetime(s.due_at),
                local_datetime(s.statutory_due_at),
                yes if row_mark(s, now) == "overdue" else "",
            )
        )
    return ("\ufeff" + out.getvalue()).encode()
