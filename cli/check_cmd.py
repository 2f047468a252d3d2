"""``motcua check``: integrity check, schema version, counts; non-zero exit on a problem."""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import EXIT_NEEDS_OPERATOR, clock_line, data_dir_option, fail
from node.clock_estimate import clock_check
from node.integrity import check
from node.runtime import open_node
from settings.loading import ConfigError
from storage import db as db_mod


@click.command("check")
@data_dir_option
def check_cmd(data_dir: Path) -> None:
    """Check the node's database and files and print what is there."""
    try:
        rt = open_node(data_dir, check=False)
    except (ConfigError, db_mod.DatabaseError) as exc:
        fail(str(exc))
        return
    try:
        report = check(rt)
        clock = clock_check(rt)
    except db_mod.DatabaseError as exc:
        fail(str(exc))
        return
    finally:
        rt.close()
    click.echo(f"node: {report.node_id}")
    click.echo(f"integrity: {report.integrity}")
    click.echo(f"schema: {report.schema}")
    for origin, n in report.events_by_origin.items():
        click.echo(f"events from {origin}: {n}")
    for status, n in report.dossiers_by_status.items():
        click.echo(f"dossiers in status {status}: {n}")
    click.echo(f"documents: {report.documents} ({report.files} distinct files)")
    if report.unreferenced:
        click.echo(
            f"note: {len(report.unreferenced)} stored files ({report.unreferenced_bytes} bytes)"
            " are named by no document: left by a crash between storing and committing,"
            " or being stored right now; they can be deleted while the node and ingest are"
            " stopped"
        )
        for sha in report.unreferenced:
            click.echo(f"unreferenced: {rt.blobs.path_for(sha)}")
    click.echo(f"clock: {clock_line(clock)}")
    for warning in report.calendar_warnings:
        click.echo(f"warning: {warning}")
    problems = [*report.problems, *([f"{clock.alarm}: {clock.message}"] if clock.alarm else [])]
    for problem in problems:
        click.echo(f"problem: {problem}", err=True)
    if problems:
        raise SystemExit(EXIT_NEEDS_OPERATOR)
