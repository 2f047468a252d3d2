"""``motcua central ...``: set up and run the city data centre; ``motcua digest``.

Heavy imports (the API, the MQTT client, psycopg) happen inside the commands, so the
node's command line does not pay for them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from accounts.sites import CITY_SITE
from central.store import StoreError
from cli.central_accounts import city_accounts
from cli.common import EXIT_DATABASE_UNUSABLE, fail, operator
from cli.digest_cmd import digest_cmd
from cli.logging_setup import configure_logging
from cli.token_cmd import token_commands
from cli.unusable_database import any_site, database_problem, unusable_message
from cli.user_cmd import AccountsCli, user_commands
from rules.reference_entries import ImportFileError, read_calendar, read_catalog
from settings import city as config_mod
from settings.loading import ConfigError
from settings.node import default_data_dir
from storage.db import DatabaseError

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["central_group", "digest_cmd"]


def central_dir_option(func: F) -> F:
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=default_data_dir,
        show_default="$MOTCUA_DATA_DIR, else ./data",
        help="The city's data directory (central.toml, SQLite store, files).",
    )(func)


@click.group("central")
def central_group() -> None:
    """The city data centre: receive every commune node's events and files."""


# The city's accounts (accounts.sqlite3): the node's account commands, the city's roles.
CITY_ACCOUNTS = AccountsCli(CITY_SITE, city_accounts, central_dir_option, "the city's")
central_group.add_command(user_commands(CITY_ACCOUNTS))
central_group.add_command(token_commands(CITY_ACCOUNTS))


def initialise(
    data_dir: Path,
    broker: str,
    *,
    store_url: str = "",
    ca: Path | None = None,
    cert: Path | None = None,
    key: Path | None = None,
    name: str = "main",
) -> list[str]:
    """Write ``central.toml`` and create the store; nothing is written if anything is wrong."""
    config_path = data_dir / config_mod.CONFIG_NAME
    if config_path.exists():
        raise ConfigError(f"{config_path}: already exists; this data centre is initialised")
    for label, path in (("--ca", ca), ("--cert", cert), ("--key", key)):
        if path is not None and not path.is_file():
            raise ConfigError(f"{label} {path}: no such file")
    cfg = config_mod.CentralConfig(
        broker=config_mod.BrokerSettings(
            url=broker,
            ca=str(ca.resolve()) if ca else "",
            cert=str(cert.resolve()) if cert else "",
            key=str(key.resolve()) if key else "",
        ),
        central=config_mod.CentralSettings(name=name),
        store=config_mod.StoreSettings(url=store_url),
    )
    config_mod.validate(cfg, data_dir, "--broker/--store-url/--name")
    from central.runtime import open_store

    created = not data_dir.exists()
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        store = open_store(cfg, data_dir)
        try:
            applied = store.migrate()
        finally:
            store.close()
    except StoreError:
        if created:
            shutil.rmtree(data_dir, ignore_errors=True)
        raise
    tmp = config_path.with_suffix(".toml.tmp")
    tmp.write_text(config_mod.render(cfg), encoding="utf-8")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, config_path)
    where = store_url.split("@")[-1] if store_url else str(data_dir / config_mod.DATABASE_NAME)
    return [
        f"created {config_path}",
        f"store {'postgresql' if cfg.store.url else 'sqlite'} "
        f"{where}: {len(applied)} migrations applied",
    ]


@central_group.command("init")
@central_dir_option
@click.option("--broker", required=True, help="mqtt://host[:port] or mqtts://host[:port].")
@click.option("--store-url", default="", help="postgresql://... (default: SQLite in DIR).")
@click.option("--ca", type=click.Path(dir_okay=False, path_type=Path), help="CA certificate.")
@click.option("--cert", type=click.Path(dir_okay=False, path_type=Path), help="Client cert.")
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), help="Client key.")
@click.option("--name", default="main", show_default=True, help="Receiver name (central:NAME).")
def init_cmd(
    data_dir: Path,
    broker: str,
    store_url: str,
    ca: Path | None,
    cert: Path | None,
    key: Path | None,
    name: str,
) -> None:
    """Create DIR/central.toml and the store (SQLite, or PostgreSQL with --store-url)."""
    try:
        done = initialise(
            data_dir, broker, store_url=store_url, ca=ca, cert=cert, key=key, name=name
        )
    except ConfigError as exc:
        fail(str(exc), 2)
        return
    except StoreError as exc:
        fail(str(exc))
        return
    for line in done:
        click.echo(line)


@central_group.command("serve")
@central_dir_option
@click.option("--host", default=None, help="Address to listen on [default: api.host, 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [default: api.port, 8090].")
def serve_cmd(data_dir: Path, host: str | None, port: int | None) -> None:
    """Run the receiver (MQTT) and the city API until stopped."""
    from central.receiver import Receiver
    from central.runtime import open_central
    from cli.service_watchdog import ServiceWatchdog
    from web.city_api.app import create_central_app
    from web.json_api.serve import serve_http

    if (problem := _sqlite_store_problem(data_dir)) is not None:
        message = unusable_message(problem, data_dir, config_mod.DATABASE_NAME, any_site)
        fail(message, EXIT_DATABASE_UNUSABLE)
    try:
        runtime = open_central(data_dir)
        broker = config_mod.broker_address(
            runtime.config, data_dir, str(data_dir / config_mod.CONFIG_NAME)
        )
    except (ConfigError, StoreError, DatabaseError) as exc:
        fail(str(exc))
        return
    configure_logging()
    cfg = runtime.config
    receiver = Receiver(
        runtime.handler,
        broker,
        name=cfg.central.name,
        shared_group=cfg.receiver.shared_group,
        keepalive=cfg.broker.keepalive,
        pending_down=runtime.pending_down,
        tick_seconds=min(max(cfg.receiver.resend_seconds / 2, 0.1), 5.0),
    )
    receiver.start()
    # systemd (Type=notify): READY once listening and the receiver loop turns; pings only
    # while it keeps turning.
    watchdog = ServiceWatchdog()
    watchdog.watch("receiver", lambda: receiver.last_beat)
    watchdog.start()

    # Stopped by the app's shutdown: uvicorn re-raises SIGTERM once it has shut down, so
    # code after uvicorn.run() is not reached on a signal.
    def shutdown() -> None:  # no parameter: Litestar would pass the app to one
        watchdog.stop()
        receiver.stop()
        runtime.close()

    app = create_central_app(runtime, receiver_status=receiver.status, on_shutdown=[shutdown])
    try:
        serve_http(
            app, host or cfg.api.host, port or cfg.api.port, on_started=watchdog.mark_listening
        )
    finally:  # reached when uvicorn returns without a signal (all are idempotent)
        watchdog.stop()
        receiver.stop()
        runtime.close()


def _sqlite_store_problem(data_dir: Path) -> str | None:
    """A damaged or missing SQLite store is refused before anything opens it (SQLite would
    create an empty one, and the city would start again from nothing)."""
    try:
        cfg = config_mod.load(data_dir)
    except ConfigError:
        return None  # said by open_central, with the file and key
    return None if cfg.store.url else database_problem(data_dir / config_mod.DATABASE_NAME)


def _push(
    data_dir: Path, file: Path, node: tuple[str, ...], all_nodes: bool, user: str, kind: str
) -> None:
    from central.city_actions import calendar_affected, push_reference
    from central.runtime import open_store
    from rules.clock import to_local_iso, utc_now
    from sync.topics import TopicError, validate_node_id

    if bool(node) == all_nodes:
        fail("give --node NODE_ID (one or more) or --all", 2)
    try:
        procedures = read_catalog(file) if kind == "catalog" else []
        days = read_calendar(file) if kind == "calendar" else []
        for n in node:
            validate_node_id(n)
    except (ImportFileError, TopicError) as exc:
        fail(str(exc), 2)
        return
    try:
        cfg = config_mod.load(data_dir)
        store = open_store(cfg, data_dir)
        try:
            store.migrate()
            targets = list(node) or [r.node_id for r in store.list_nodes()]
            appended = push_reference(store, targets, procedures, days, operator(user), utc_now())
            years = sorted({d.date.year for d in days})
            affected = {
                n: calendar_affected(store, n, years, cfg.office_periods()) for n in appended
            }
        finally:
            store.close()
    except (ConfigError, StoreError) as exc:
        fail(str(exc))
        return
    entries = len(procedures) + len(days)
    for node_id, count in appended.items():
        click.echo(f"{node_id}: {count} of {entries} entries appended (sent on its next connect)")
        for a in affected.get(node_id, []):
            now_due = (
                "recounted at restart" if a.clock_stopped else to_local_iso(a.recomputed_due_at)
            )
            click.echo(
                f"{node_id}: dossier {a.code}: deadline {to_local_iso(a.statutory_due_at)}, "
                f"with this calendar {now_due}; issue form 04 where the appointment changes"
            )
    if not appended:
        click.echo("no node has replicated here yet; nothing appended")


def _push_options(func: F) -> F:
    for option in reversed(
        [
            central_dir_option,
            click.argument("file", type=click.Path(dir_okay=False, path_type=Path)),
            click.option("--node", multiple=True, help="A node to send it to (repeatable)."),
            click.option("--all", "all_nodes", is_flag=True, help="Every node known here."),
            click.option(
                "--user", default="cli", show_default=True, help="Recorded as central:USER."
            ),
        ]
    ):
        func = option(func)
    return func


@central_group.group("catalog")
def catalog_group() -> None:
    """The procedure catalog, pushed from the city to communes."""


@catalog_group.command("push")
@_push_options
def catalog_push(
    data_dir: Path, file: Path, node: tuple[str, ...], all_nodes: bool, user: str
) -> None:
    """Append the procedures of a catalog FILE that differ to each node's log."""
    _push(data_dir, file, node, all_nodes, user, "catalog")


@central_group.group("calendar")
def calendar_group() -> None:
    """The holiday calendar, pushed from the city to communes."""


@calendar_group.command("push")
@_push_options
def calendar_push(
    data_dir: Path, file: Path, node: tuple[str, ...], all_nodes: bool, user: str
) -> None:
    """Append the days of a calendar FILE that differ to each node's log."""
    _push(data_dir, file, node, all_nodes, user, "calendar")
