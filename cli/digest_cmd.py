"""``motcua digest``: one SHA-256 over a node's replicated state, at the node or the city.

Both sides feed ``rules.digest.digest`` the same thing: every event of the node's log (its
own and the city's for it) in (origin, seq) order, the hashes of the files its
``document_attached`` events name that the site holds whole, and the dossiers as the site
projected them (the node incrementally, the city by refolding). Only named files count: a
scan waiting unfiled in the node's inbox is in the node's ``blobs`` table but never
replicates (the sender ships files that a document names), so counting it would keep the
two digests apart for ever.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import click

from rules.digest import digest
from rules.event_kinds import DocumentAttached, decode_body
from rules.event_record import EventRecord
from rules.projection import DossierState
from settings import city as central_config
from settings import node as node_config
from settings.loading import ConfigError
from storage import db as node_db


def named_files(records: Iterable[EventRecord]) -> list[str]:
    """SHA-256 of every file a document_attached event of the log names."""
    shas: set[str] = set()
    for record in records:
        if record.kind == "document_attached":
            body = decode_body(record.body)
            if isinstance(body, DocumentAttached):
                shas.add(body.sha256)
    return sorted(shas)


def log_digest(
    records: list[EventRecord], held: Callable[[str], bool], states: Iterable[DossierState]
) -> str:
    return digest(records, [sha for sha in named_files(records) if held(sha)], states)


def node_digest(data_dir: Path) -> str:
    """The digest of a node's own data directory (read in one snapshot)."""
    node_config.load(data_dir)  # a clear error if this is not a node
    path = data_dir / node_config.DATABASE_NAME
    if not path.exists():
        raise node_db.DatabaseError(f"{path}: no database")
    from node import dossier_store, event_log

    conn = node_db.connect(path)
    try:
        conn.execute("BEGIN")
        records = list(event_log.iter_all(conn))
        blobs = {str(r[0]) for r in conn.execute("SELECT sha256 FROM blobs")}
        states = dossier_store.iter_states(conn)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return log_digest(records, blobs.__contains__, states)


def central_digest(data_dir: Path, node_id: str) -> str:
    """The digest of one node's replicated state as the city holds it."""
    from central.runtime import open_store

    cfg = central_config.load(data_dir)
    store = open_store(cfg, data_dir)
    try:
        store.migrate()
        records = store.node_log(node_id)
        states = store.dossier_states(node_id)
        return log_digest(records, lambda sha: store.blob_size(sha) is not None, states)
    finally:
        store.close()


@click.command("digest")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=node_config.default_data_dir,
    show_default="$MOTCUA_DATA_DIR, else ./data",
    help="A node's or the city's data directory.",
)
@click.option("--node", "node_id", default=None, help="The node to digest (required at the city).")
def digest_cmd(data_dir: Path, node_id: str | None) -> None:
    """Print one SHA-256 over a node's replicated state (equal at node and city once converged)."""
    from central.store import StoreError
    from cli.common import fail

    try:
        if (data_dir / central_config.CONFIG_NAME).exists():
            if not node_id:
                fail("--node NODE_ID is required for a city data directory", 2)
                return
            click.echo(central_digest(data_dir, node_id))
        elif (data_dir / node_config.CONFIG_NAME).exists():
            own = node_config.load(data_dir).node.node_id
            if node_id and node_id != own:
                fail(f"{data_dir} is node {own!r}, not {node_id!r}", 2)
                return
            click.echo(node_digest(data_dir))
        else:
            fail(
                f"{data_dir}: neither {node_config.CONFIG_NAME} (a node) nor "
                f"{central_config.CONFIG_NAME} (the city) is here",
                2,
            )
    except (ConfigError, node_db.DatabaseError, StoreError) as exc:
        fail(str(exc))
