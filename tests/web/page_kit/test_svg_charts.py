"""Server-drawn SVG charts: escaped texts, right scales, accessible names."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from web.page_kit.svg_charts import Series, bar_chart, nice_ceiling, ticks

SVG = "{http://www.w3.org/2000/svg}"


def _bars(svg: str) -> list[float]:
    root = ET.fromstring(svg)
    return [
        float(r.get("height", "0"))
        for r in root.iter(f"{SVG}rect")
        if r.find(f"{SVG}title") is not None
    ]


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [
        (0, 1),
        (-3, 1),
        (1, 1),
        (3, 5),
        (7, 10),
        (10, 10),
        (11, 20),
        (23, 25),
        (123, 200),
        (2_500_001, 5_000_000),
    ],
)
def test_the_axis_ends_on_a_round_number_at_or_above_the_peak(value: float, ceiling: float) -> None:
    assert nice_ceiling(value) == ceiling
    assert ticks(ceiling)[0] == 0 and ticks(ceiling)[-1] == ceiling


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        (1, [0, 1]),
        (2, [0, 1, 2]),
        (5, [0, 1, 2, 3, 4, 5]),
        (10, [0, 2, 4, 6, 8, 10]),
        (20, [0, 5, 10, 15, 20]),
    ],
)
def test_counts_get_whole_ticks(top: float, expected: list[float]) -> None:
    assert ticks(top) == expected
    assert ticks(top, whole=False)[1] == top / 4


def test_texts_are_escaped_and_the_chart_is_well_formed_xml() -> None:
    hostile = '<script>alert(1)</script>"&'
    svg = str(bar_chart(hostile, [hostile], [Series(hostile, [1])], description=hostile))
    assert "<script>" not in svg
    root = ET.fromstring(svg)  # parses: nothing broke out of an attribute or a text
    assert root.find(f"{SVG}title").text == hostile  # type: ignore[union-attr]
    assert root.get("role") == "img" and root.get("aria-labelledby") == "chart-title chart-desc"


def test_all_zero_values_draw_flat_bars_on_a_unit_axis() -> None:
    svg = str(bar_chart("t", ["01/2025", "02/2025"], [Series("a", [0, 0])]))
    assert _bars(svg) == [0.0, 0.0]
    assert ">1</text>" in svg  # the axis still ends at 1


def test_one_value_fills_the_plot_and_stacks_add_up() -> None:
    single = _bars(str(bar_chart("t", ["x"], [Series("a", [5])], height=260)))
    assert single == [200.0]  # plot height 260 - 12 - 48, 5 of a 5 axis
    stacked = _bars(str(bar_chart("t", ["x"], [Series("a", [3]), Series("b", [2])], height=260)))
    assert stacked == [120.0, 80.0]  # 3 and 2 of 5


def test_large_values_keep_their_proportions_and_read_in_vietnamese_style() -> None:
    svg = str(bar_chart("t", ["a", "b"], [Series("n", [1_000_000, 250_000])], stacked=False))
    big, small = _bars(svg)
    assert big == pytest.approx(4 * small)
    assert "1.000.000" in svg


@pytest.mark.parametrize("values", [[1.0], [-1.0, 2.0], [float("nan"), 1.0]])
def test_a_wrong_series_is_refused_not_drawn(values: list[float]) -> None:
    with pytest.raises(ValueError):
        bar_chart("t", ["a", "b"], [Series("s", values)])


def test_no_categories_is_an_empty_chart() -> None:
    svg = str(bar_chart("t", [], [Series("s", [])]))
    assert _bars(svg) == [] and re.search(r"<title[^>]*>t</title>", svg)
