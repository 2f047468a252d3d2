"""The city's dossier list as CSV: the page's columns; the citizen's name, ID number, phone
and address only for a user who may export personal data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from rules.lifecycle import STATUS_LABELS_VI, Status
from rules.projection import DossierState
from rules.timeliness import is_overdue
from web.page_kit.csv_cells import csv_document
from web.page_kit.i18n import Translate, vi
from web.page_kit.rendering import local_datetime

#: The most rows one CSV holds (the same bound as the node's list).
CSV_LIMIT = 100_000
HEADER = (
    vi("Xã/phường"),
    vi("Mã hồ sơ"),
    vi("Mã thủ tục"),
    vi("Thủ tục"),
    vi("Trạng thái"),
    vi("Ngày nhận"),
    vi("Ngày hẹn trả"),
    vi("Hạn theo luật"),
    vi("Quá hạn"),
)
PERSONAL_HEADER = (vi("Người nộp"), vi("Số giấy tờ"), vi("Điện thoại"), vi("Địa chỉ"))


def city_dossiers_csv(
    found: list[tuple[str, DossierState]], now: datetime, translate: Translate, personal: bool
) -> bytes:
    header = [translate(h) for h in HEADER + (PERSONAL_HEADER if personal else ())]
    yes = translate(vi("Có"))

    def rows() -> Iterator[list[str]]:
        for node_id, s in found:
            row = [
                node_id,
                s.code,
                s.procedure_code,
                s.procedure_name,
                translate(STATUS_LABELS_VI[Status(s.status)]),
                local_datetime(s.received_at),
                local_datetime(s.due_at),
                local_datetime(s.statutory_due_at),
                yes if is_overdue(s, now) else "",
            ]
            if personal:
                a = s.applicant
                row += [a.full_name, a.id_number, a.phone, a.address]
            yield row

    return csv_document(header, rows())
