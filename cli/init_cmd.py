"""``motcua init``: a new node's config, database and identity."""

from __future__ import annotations

import os
from pathlib import Path

import click

from cli.common import data_dir_option, fail
from node import reference_data
from node.schema import migrate
from rules import reference_entries
from rules.actor import machine
from rules.clock import to_utc_iso, utc_now
from rules.permissions import Operation
from settings import node as config_mod
from settings.loading import ConfigError
from settings.sync import SyncSettings
from storage import db as db_mod

DATA = reference_data.SHIPPED_DATA
SHIPPED_CALENDARS = sorted((DATA / "calendar").glob("*.toml"))
SAMPLE_CATALOG = DATA / "sample_catalog.toml"


def initialise(
    data_dir: Path,
    agency_code: str,
    node_id: str,
    *,
    calendars: bool = True,
    sample_catalog: bool = False,
    broker: str = "",
    tls_files: tuple[str, str, str] = ("", "", ""),
) -> list[str]:
    """Create the node; return what was done, one line each. Writes nothing if invalid."""
    cfg = config_mod.validate(
        config_mod.Config(
            node=config_mod.NodeSettings(node_id=node_id, agency_code=agency_code),
            sync=SyncSettings(
                broker=broker, ca_file=tls_files[0], cert_file=tls_files[1], key_file=tls_files[2]
            ),
        ),
        "--node-id/--agency-code/--broker",
    )
    config_path = data_dir / config_mod.CONFIG_NAME
    db_path = data_dir / config_mod.DATABASE_NAME
    for existing in (config_path, db_path):
        if existing.exists():
            raise ConfigError(f"{existing}: already exists; this node is initialised")
    calendar_entries = (
        [e for p in SHIPPED_CALENDARS for e in reference_entries.read_calendar(p)]
        if calendars
        else []
    )
    catalog_entries = reference_entries.read_catalog(SAMPLE_CATALOG) if sample_catalog else []
    data_dir.mkdir(parents=True, exist_ok=True)
    conn = db_mod.connect(db_path)
    try:
        migrate(conn)
        with db_mod.immediate(conn):
            conn.execute(
                "INSERT INTO node_identity (key, value) VALUES ('node_id', ?), "
                "('agency_code', ?), ('created_at', ?)",
                (node_id, agency_code, to_utc_iso(utc_now())),
            )
            days = reference_data.import_calendar(
                conn, node_id, machine("motcua-init", Operation.IMPORT_CALENDAR), calendar_entries
            )
            procedures = reference_data.import_catalog(
                conn, node_id, machine("motcua-init", Operation.IMPORT_CATALOG), catalog_entries
            )
    finally:
        conn.close()
    tmp = config_path.with_suffix(".toml.tmp")
    tmp.write_text(config_mod.render(cfg), encoding="utf-8")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, config_path)
    done = [f"created {config_path}", f"created {db_path} (node {node_id}, agency {agency_code})"]
    if calendars:
        done.append(
            f"imported {days} calendar days from {len(SHIPPED_CALENDARS)} shipped calendars"
        )
    if sample_catalog:
        done.append(f"imported {procedures} sample procedures (demo data)")
    return done


def _absolute(path: str) -> str:
    return str(Path(path).resolve()) if path else ""


@click.command("init")
@data_dir_option
@click.option(
    "--agency-code", required=True, help="Mã định danh of the office, e.g. 000.00.15.H42."
)
@click.option("--node-id", required=True, help="This node's identity: a-z, 0-9 and '-'.")
@click.option("--ca-file", default="", help="With mqtts://: the province CA certificate.")
@click.option("--cert-file", default="", help="With mqtts://: this node's certificate.")
@click.option("--key-file", default="", help="With mqtts://: this node's private key.")
@click.option(
    "--broker", default="", help="Replication broker: mqtt://host:port, mqtts://host:port."
)
@click.option(
    "--calendars/--no-calendars",
    default=True,
    show_default=True,
    help="Import the shipped holiday calendars (current and next year).",
)
@click.option(
    "--sample-catalog",
    is_flag=True,
    help="Also import the sample procedure catalog (demo data, not authoritative).",
)
def init_cmd(
    data_dir: Path,
    agency_code: str,
    node_id: str,
    broker: str,
    ca_file: str,
    cert_file: str,
    key_file: str,
    calendars: bool,
    sample_catalog: bool,
) -> None:
    """Create a node: config file, database and identity in DATA_DIR."""
    try:
        for line in initialise(
            data_dir,
            agency_code,
            node_id,
            calendars=calendars,
            sample_catalog=sample_catalog,
            broker=broker,
            tls_files=(_absolute(ca_file), _absolute(cert_file), _absolute(key_file)),
        ):
            click.echo(line)
    except (ConfigError, reference_entries.ImportFileError, db_mod.DatabaseError) as exc:
        fail(str(exc), 2)
