"""``motcua ingest``: take scans from the drop folders; the unfiled inbox and quarantine."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click

from cli.common import data_dir_option, fail, opened_node, operator
from cli.logging_setup import configure_logging, escape
from node import dossier_store
from node.dossier_service import DossierError
from scanner_ingest import status, unfiled
from scanner_ingest.quarantine import retry
from scanner_ingest.service import IngestBusy, IngestService
from settings.loading import ConfigError

actor_option = click.option(
    "--actor", default="cli", show_default=True, help="Recorded as the author."
)


@click.group("ingest", invoke_without_command=True)
@data_dir_option
@click.pass_context
def ingest_group(ctx: click.Context, data_dir: Path) -> None:
    """Take scans from the drop folders ([[ingest.folder]]) until stopped.

    Without a subcommand, runs ingest alone (``motcua serve`` runs it too when folders are
    configured; only one process per node does).
    """
    if ctx.invoked_subcommand is None:
        run(data_dir)


def run(data_dir: Path) -> None:
    configure_logging()
    with opened_node(data_dir) as rt:
        if not rt.config.ingest.folder:
            fail(f"{data_dir / 'motcua.toml'}: no [[ingest.folder]] configured; nothing to watch")
        try:
            service = IngestService(rt)
        except (ConfigError, ValueError) as exc:
            fail(str(exc))
            return
        stop = threading.Event()

        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        try:
            service.start()
        except IngestBusy as exc:
            fail(str(exc))
        click.echo(f"ingest: watching {len(service.folders)} folder(s); Ctrl+C stops", err=True)
        try:
            while not stop.wait(1.0):
                pass
        finally:
            service.stop()


@ingest_group.command("status")
@data_dir_option
def status_cmd(data_dir: Path) -> None:
    """Whether ingest runs, and each folder's last scan, waiting and quarantined files."""
    with opened_node(data_dir) as rt:
        s = status.read(rt)
    click.echo(f"running: {'yes, pid ' + str(s.pid) if s.running else 'no'}")
    for f in s.folders:
        click.echo(
            f"folder {f.name}: {f.path} ({'polled' if f.poll else 'watched'}), "
            f"last scan {f.last_scan_at or '-'}, waiting {f.files_waiting}, "
            f"quarantined {f.quarantined}"
            + (f", reading {escape(f.reading)} for {f.reading_seconds}s" if f.reading else "")
            + (f", error: {escape(f.last_error)}" if f.last_error else "")
        )
    click.echo(f"unfiled: {s.unfiled}")
    click.echo(f"quarantined: {s.quarantined}")


@ingest_group.command("unfiled")
@data_dir_option
@click.option("--limit", type=int, default=100, show_default=True, help="At most this many.")
def unfiled_cmd(data_dir: Path, limit: int) -> None:
    """List scans waiting in the unfiled inbox (oldest first)."""
    with opened_node(data_dir) as rt:
        page = unfiled.list_unfiled(rt, limit, 0)
    for item in page.items:
        hint = item.code or ", ".join(item.candidates) or "-"
        click.echo(
            f"{item.id}  {item.folder}/{escape(item.source_name)} pages {item.first_page}-"
            f"{item.last_page}  {item.reason}  {hint}"
        )
    click.echo(f"{page.total} waiting")


@ingest_group.command("assign")
@data_dir_option
@click.argument("part_id")
@click.argument("dossier")
@actor_option
def assign_cmd(data_dir: Path, part_id: str, dossier: str, actor: str) -> None:
    """Attach unfiled scan PART_ID to DOSSIER (its code, or its id)."""
    with opened_node(data_dir) as rt:
        by_code = dossier_store.load_by_code(rt.db.read(), dossier) is not None
        req = (
            unfiled.AssignRequest(dossier_code=dossier)
            if by_code
            else unfiled.AssignRequest(dossier_id=dossier)
        )
        try:
            item = unfiled.assign(rt, part_id, req, operator(actor))
        except DossierError as exc:
            fail(str(exc), 2)
            return
    click.echo(f"{item.id} attached to dossier {item.dossier_id}")


@ingest_group.command("reject")
@data_dir_option
@click.argument("part_id")
@click.option("--note", required=True, help="Why it is not a document of any dossier.")
@actor_option
def reject_cmd(data_dir: Path, part_id: str, note: str, actor: str) -> None:
    """Mark unfiled scan PART_ID rejected (its bytes are kept)."""
    with opened_node(data_dir) as rt:
        try:
            item = unfiled.reject(rt, part_id, unfiled.RejectRequest(note=note), operator(actor))
        except DossierError as exc:
            fail(str(exc), 2)
            return
    click.echo(f"{item.id} rejected")


@ingest_group.command("quarantine")
@data_dir_option
def quarantine_cmd(data_dir: Path) -> None:
    """List quarantined files with their reasons."""
    with opened_node(data_dir) as rt:
        items = retry.list_items(rt)
    for q in items:
        # Names and details come from outside: one line per file, whatever they contain.
        click.echo(
            f"{q.id}  {q.folder}/{escape(q.file)}  {q.reason}  {q.quarantined_at}  "
            f"{escape(q.detail)}"
        )
    click.echo(f"{len(items)} quarantined")


@ingest_group.command("retry")
@data_dir_option
@click.argument("quarantine_id")
@actor_option
def retry_cmd(data_dir: Path, quarantine_id: str, actor: str) -> None:
    """Put quarantined file QUARANTINE_ID back into its drop folder to be taken again."""
    with opened_node(data_dir) as rt:
        try:
            done = retry.retry(rt, quarantine_id, operator(actor))
        except DossierError as exc:
            fail(str(exc), 2)
            return
    click.echo(f"returned to {done.returned_to}")
