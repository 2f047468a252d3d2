"""``motcua catalog import`` and ``motcua calendar import``."""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import data_dir_option, fail, opened_node, operator
from node import reference_data
from rules import reference_entries


@click.group("catalog")
def catalog_group() -> None:
    """The procedure catalog (thủ tục hành chính)."""


@catalog_group.command("import")
@data_dir_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--actor", default="cli", show_default=True, help="Recorded as the author.")
def catalog_import(data_dir: Path, file: Path, actor: str) -> None:
    """Add or update procedures from a TOML FILE; others are kept."""
    try:
        entries = reference_entries.read_catalog(file)
    except reference_entries.ImportFileError as exc:
        fail(str(exc), 2)
    with opened_node(data_dir) as rt, rt.db.write() as conn:
        changed = reference_data.import_catalog(conn, rt.node_id, operator(actor), entries)
    click.echo(f"{len(entries)} procedures read, {changed} added or updated")


@click.group("calendar")
def calendar_group() -> None:
    """The holiday calendar: holidays and make-up working days."""


@calendar_group.command("import")
@data_dir_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--actor", default="cli", show_default=True, help="Recorded as the author.")
def calendar_import(data_dir: Path, file: Path, actor: str) -> None:
    """Add or update days from a TOML FILE; other days are kept."""
    try:
        entries = reference_entries.read_calendar(file)
    except reference_entries.ImportFileError as exc:
        fail(str(exc), 2)
    with opened_node(data_dir) as rt, rt.db.write() as conn:
        changed = reference_data.import_calendar(conn, rt.node_id, operator(actor), entries)
    click.echo(f"{len(entries)} days read, {changed} added or updated")
