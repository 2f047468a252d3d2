"""A catalog or calendar file's text is bounded where it is read (``rules.reference_entries``):
every reception copies its procedure's name into its event, and names are shown on pages,
printed on forms and written to logs. A refusal names the file, the entry and the field."""

from __future__ import annotations

import pytest

from rules.reference_entries import (
    MAX_COMPONENT_CHARS,
    MAX_COMPONENTS,
    MAX_DAY_NAME_CHARS,
    MAX_NAME_CHARS,
    ImportFileError,
    parse_calendar,
    parse_catalog,
)

ENTRY = """
[[procedure]]
code = "1.000894"
version = "{version}"
name = "{name}"
field = "Hộ tịch"
time_limit = 5
time_unit = "working_days"
online_level = "full"
components = [{components}]
"""


def catalog(name: str = "Đăng ký khai sinh", version: str = "1", components: int = 1,
            component: str = "Tờ khai") -> bytes:  # fmt: skip
    listed = ", ".join([f'"{component}"'] * components)
    return ENTRY.format(name=name, version=version, components=listed).encode()


def test_texts_at_their_bounds_are_read() -> None:
    entries = parse_catalog(
        catalog("Ố" * MAX_NAME_CHARS, components=MAX_COMPONENTS, component="ệ" * 40),
        "catalog.toml",
    )
    assert len(entries[0].name) == MAX_NAME_CHARS and len(entries[0].components) == 200


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (catalog("Ố" * (MAX_NAME_CHARS + 1)), f"name has 1001 characters, over {MAX_NAME_CHARS}"),
        (catalog(version="9" * 51), "version has 51 characters, over 50"),
        (catalog(components=MAX_COMPONENTS + 1), "201 components, over 200"),
        (
            catalog(component="x" * (MAX_COMPONENT_CHARS + 1)),
            f"component #1 has 501 characters, over {MAX_COMPONENT_CHARS}",
        ),
        (catalog("Khai sinh\\nERROR forged"), "name holds a control character"),
        (catalog(component="Tờ\\u001b[31mkhai"), "component #1 holds a control character"),
        (catalog("Khai\\u0085sinh"), "name holds a control character"),  # C1: NEL
    ],
)
def test_an_entry_past_a_bound_is_refused_naming_it(raw: bytes, message: str) -> None:
    with pytest.raises(ImportFileError) as refused:
        parse_catalog(raw, "catalog.toml")
    assert str(refused.value) == f"catalog.toml: procedure #1 ('1.000894'): {message}"


def test_a_calendar_day_name_is_bounded_and_printable() -> None:
    day = '[[day]]\ndate = 2027-01-01\nkind = "holiday"\nname = "{name}"\n'
    assert parse_calendar(day.format(name="Tết Dương lịch").encode(), "c.toml")[0].name
    for name, message in (
        ("T" * (MAX_DAY_NAME_CHARS + 1), "name has 201 characters, over 200"),
        ("Tết\\tDương lịch", "name holds a control character"),
    ):
        with pytest.raises(ImportFileError) as refused:
            parse_calendar(day.format(name=name).encode(), "c.toml")
        assert str(refused.value) == f"c.toml: day 2027-01-01: {message}"
