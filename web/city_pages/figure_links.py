"""What each counted figure is called, and where its number links to: the dossiers it counts.

A figure the city's dossier list (``/dossiers``, its ``node``, ``status``, ``overdue``,
``from`` and ``to`` parameters) selects exactly links there; any other opens the list of
the dossiers behind the figure (``/indicators/dossiers``), which runs the very condition
that counted it (``central/figures.py``).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from web.page_kit.i18n import vi

LABELS = {
    "received": vi("Tiếp nhận"),
    "in_progress": vi("Đang giải quyết"),
    "on_time": vi("Đúng hạn"),
    "overdue": vi("Quá hạn"),
    "supplement": vi("Chờ bổ sung"),
    "to_return": vi("Chờ trả kết quả"),
    "returned": vi("Đã trả kết quả"),
    "resolved": vi("Có kết quả"),
    "finished": vi("Đã giải quyết xong"),
    "early": vi("Trước hạn"),
    "late": vi("Trễ hạn"),
    "digitised": vi("Số hóa đủ"),
    "n_ended": vi("Đã xử lý (QĐ 766)"),
    "n_ended_on_time": vi("Xử lý đúng hạn (QĐ 766)"),
    "n_in_progress": vi("Đang xử lý (QĐ 766)"),
    "n_within_time": vi("Đang xử lý trong hạn (QĐ 766)"),
    "n_components": vi("Số hóa thành phần (QĐ 766)"),
    "n_resolved": vi("Có kết quả (QĐ 766)"),
    "n_results": vi("Số hóa kết quả (QĐ 766)"),
}
#: Figures the dossier list selects by status alone.
_BY_STATUS = {"supplement": "5", "to_return": "9"}


def figure_url(figure: str, node: str | None, first: date, last: date) -> str:
    """The dossiers ``figure`` counts for ``node`` (None: every node) from ``first`` to
    ``last`` (office days, inclusive; a now figure ignores them)."""
    params: dict[str, str] = {} if node is None else {"node": node}
    if figure in _BY_STATUS:
        return "/dossiers?" + urlencode({**params, "status": _BY_STATUS[figure]})
    if figure == "overdue":
        return "/dossiers?" + urlencode({**params, "overdue": "1"})
    window = {"from": first.isoformat(), "to": last.isoformat()}
    if figure == "received":
        return "/dossiers?" + urlencode({**params, **window})
    return "/indicators/dossiers?" + urlencode({"figure": figure, **params, **window})
