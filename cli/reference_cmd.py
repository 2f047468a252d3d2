"""``motcua catalog import`` and ``motcua calendar import``."""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import data_dir_option, fail, opened_node, operator
from node import reference_data
from node.integrity import affected_by_calendar
from rules import reference_entries
from rules.clock import to_local_iso


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
    with opened_node(data_dir) as rt:
        with rt.db.write() as conn:
            changed = reference_data.import_calendar(conn, rt.node_id, operator(actor), entries)
        click.echo(f"{len(entries)} days read, {changed} added or updated")
        years = sorted({e.date.year for e in entries})
        affected = affected_by_calendar(rt, years)
    for a in affected:
        was = to_local_iso(a.statutory_due_at)
        if a.clock_stopped:
            click.echo(
                f"dossier {a.code}: deadline {was} was counted without the calendar of "
                f"{', '.join(map(str, a.provisional_years))}; its clock is stopped and the "
                "restart will count with this calendar"
            )
        else:
            click.echo(
                f"dossier {a.code}: deadline {was} would be {to_local_iso(a.recomputed_due_at)} "
                "with this calendar; issue form 04 (a new appointment) if it is later"
            )
    if affected:
        click.echo(f"{len(affected)} dossiers have an appointment this calendar changes")
