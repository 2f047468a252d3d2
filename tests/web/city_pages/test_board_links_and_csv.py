"""Where the board's and the indicators' counts link, and the CSV every city table gives."""

from __future__ import annotations

import csv
import io
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from central.figures import FIGURES
from web.city_pages.figure_links import LABELS, figure_url
from web.city_pages.table_csv import csv_bytes

DAY = date(2026, 3, 10)


def _parts(url: str) -> tuple[str, dict[str, list[str]]]:
    split = urlsplit(url)
    return split.path, parse_qs(split.query)


@pytest.mark.parametrize(
    ("figure", "path", "query"),
    [
        ("supplement", "/dossiers", {"node": ["xa-a"], "status": ["5"]}),
        ("to_return", "/dossiers", {"node": ["xa-a"], "status": ["9"]}),
        ("overdue", "/dossiers", {"node": ["xa-a"], "overdue": ["1"]}),
        ("received", "/dossiers", {"node": ["xa-a"], "from": ["2026-03-10"], "to": ["2026-03-10"]}),
        (
            "on_time",
            "/indicators/dossiers",
            {"figure": ["on_time"], "node": ["xa-a"], "from": ["2026-03-10"], "to": ["2026-03-10"]},
        ),
    ],
)
def test_a_count_links_to_the_dossiers_it_counts(
    figure: str, path: str, query: dict[str, list[str]]
) -> None:
    assert _parts(figure_url(figure, "xa-a", DAY, DAY)) == (path, query)


def test_a_city_wide_count_names_no_node_and_every_figure_has_a_label() -> None:
    assert "node" not in _parts(figure_url("in_progress", None, DAY, DAY))[1]
    assert set(LABELS) == set(FIGURES)


def test_the_csv_has_a_bom_the_rows_and_no_formula() -> None:
    data = csv_bytes(["Xã/phường", "Lỗi"], [["xa-a", '=HYPERLINK("x")'], ["xa-b", "-1"]])
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["Xã/phường", "Lỗi"], ["xa-a", '\'=HYPERLINK("x")'], ["xa-b", "'-1"]]
