"""The formatter every long-running command installs: one line per record, escaped."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from cli.logging_setup import CONTINUATION, FORMAT, EscapingFormatter, escape


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(EscapingFormatter(FORMAT))
    logger = logging.getLogger("tests.logging_setup")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        yield logger, out
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def test_escape_makes_every_control_character_visible() -> None:
    assert escape("a\nb\rc\td\x1b[31me\x00f\x7fg\x85h\u2028i") == (
        "a\\nb\\rc\\td\\x1b[31me\\x00f\\x7fg\\x85h\\u2028i"
    )
    assert escape("Đơn đề nghị.pdf") == "Đơn đề nghị.pdf"  # letters are not escaped
    assert escape("scan\udcff.pdf") == "scan\\udcff.pdf"  # an undecodable byte of a name


def test_a_forged_value_stays_on_its_record_line(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = captured
    name = "memo\nERROR - DATABASE CORRUPT\r\n.bin"
    logger.info("scan_quarantined src=%s", name)
    logger.info("scan_refused name=%r", name)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("src=memo\\nERROR - DATABASE CORRUPT\\r\\n.bin")
    assert lines[1].endswith("name='memo\\nERROR - DATABASE CORRUPT\\r\\n.bin'")


def test_a_traceback_keeps_its_lines_indented_under_its_record(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = captured
    try:
        raise ValueError("bad name memo\nERROR - DATABASE CORRUPT")
    except ValueError:
        logger.exception("scan_failed name=%r", "x\ny")
    first, *rest = out.getvalue().splitlines()
    assert first.endswith("scan_failed name='x\\ny'")
    assert rest[0] == CONTINUATION + "Traceback (most recent call last):"
    assert all(line.startswith(CONTINUATION) for line in rest)
    assert rest[-2:] == [
        CONTINUATION + "ValueError: bad name memo",
        CONTINUATION + "ERROR - DATABASE CORRUPT",
    ]
