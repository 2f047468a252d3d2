"""``motcua central export OUT.db``: the city's dossiers, events, files' metadata, nodes and
indicators as one standalone SQLite file (``central/export_db.py``).

An operator's tool: whoever can run it can open the store, so it has no commune scope.
"""

from __future__ import annotations

from pathlib import Path

import click

from central.store import StoreError
from cli.central_cmd import central_dir_option
from cli.common import fail
from rules.errors import DossierError
from settings import city as config_mod
from settings.loading import ConfigError


@click.command("export")
@central_dir_option
@click.argument("out", type=click.Path(path_type=Path))
@click.option(
    "--from",
    "received_from",
    default=None,
    help="Dossiers received from this day (YYYY-MM-DD, office time) or ISO 8601 time.",
)
@click.option(
    "--to",
    "received_to",
    default=None,
    help="Dossiers received up to this day, inclusive (YYYY-MM-DD) or before this ISO time.",
)
@click.option(
    "--with-personal-data",
    "personal",
    is_flag=True,
    help="Include names, ID numbers, phones, addresses, notes and file names (file mode 0600).",
)
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
def central_export_cmd(
    data_dir: Path,
    out: Path,
    received_from: str | None,
    received_to: str | None,
    personal: bool,
    force: bool,
) -> None:
    """Write OUT: a SQLite file for Datasette or a spreadsheet (no personal data by default)."""
    from central.export_db import ExportError, ExportRequest, check_request, export
    from central.runtime import open_store
    from rules.clock import utc_now
    from web.json_api.params import parse_bound

    try:
        request = ExportRequest(
            out=out,
            received_from=parse_bound(received_from, "--from", end=False),
            received_to=parse_bound(received_to, "--to", end=True),
            personal=personal,
            force=force,
        )
        check_request(request)  # before the store is opened: a usage error exits 2
    except (DossierError, ExportError) as exc:
        fail(str(exc), 2)
        return
    try:
        cfg = config_mod.load(data_dir)
        store = open_store(cfg, data_dir)
        try:
            store.migrate()
            summary = export(store, request, utc_now())
        finally:
            store.close()
    except ExportError as exc:
        fail(str(exc), 2)
        return
    except (ConfigError, StoreError) as exc:
        fail(str(exc))
        return
    click.echo(
        f"wrote {out}: {summary.nodes} nodes, {summary.dossiers} dossiers, "
        f"{summary.events} events, {summary.documents} documents, {summary.months} months "
        f"of indicators ({'with' if personal else 'without'} personal data)"
    )
