"""``motcua serve``: the node's API, with ingest when drop folders are configured (and,
once configured, sync)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import click

from cli.common import data_dir_option, fail, open_node_or_exit
from cli.listen_check import ListenRefused, tls_files
from cli.logging_setup import configure_logging
from cli.service_watchdog import ServiceWatchdog
from node.runtime import NodeRuntime
from scanner_ingest.service import IngestService
from settings.loading import ConfigError
from uplink.connect import start_link
from uplink.node_link import NodeLink


@click.command("serve")
@data_dir_option
@click.option("--host", default=None, help="Address to listen on [default: api.host, 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [default: api.port, 8080].")
@click.option(
    "--plain-http-on-lan",
    is_flag=True,
    help="Serve plain HTTP on a non-loopback address (only behind your own TLS proxy).",
)
def serve_cmd(data_dir: Path, host: str | None, port: int | None, plain_http_on_lan: bool) -> None:
    """Serve the node's staff pages and API until stopped (HTTPS when api.tls_cert_file is
    set; plain HTTP only on 127.0.0.1 otherwise)."""
    runtime = open_node_or_exit(data_dir)
    address = host or runtime.config.api.host
    try:
        tls = tls_files(runtime.config.api, data_dir, address, plain_http_on_lan)
    except ListenRefused as exc:
        runtime.close()
        fail(str(exc))
        return
    configure_logging()
    serve_node(runtime, address, port or runtime.config.api.port, tls=tls)


def serve_node(
    runtime: NodeRuntime,
    host: str,
    port: int,
    log_level: str = "info",
    on_shutdown: Sequence[Callable[[], object]] = (),
    tls: tuple[str, str] | None = None,
) -> None:
    """The API with ingest and replication as configured, until a signal stops it."""
    # Ingest runs in the background while the API serves, when drop folders are configured
    # (unless another process, e.g. 'motcua ingest', already runs it for this node).
    try:
        ingest = IngestService(runtime) if runtime.config.ingest.folder else None
    except ConfigError as exc:
        fail(str(exc))
        return
    links: list[NodeLink] = []
    # systemd (Type=notify): READY once listening with every loop turning, then pings only
    # while the ingest and link loops turn; nothing at all outside systemd.
    watchdog = ServiceWatchdog()

    def start_ingest() -> None:
        if ingest is not None and ingest.start_if_free():
            watchdog.watch("ingest", lambda: ingest.last_beat)

    def start_replication() -> None:  # when [sync] broker is set
        if (link := start_link(runtime)) is not None:
            links.append(link)
            watchdog.watch("sync-link", lambda: link.heartbeat.last)
        watchdog.start()

    def stop_replication() -> None:
        for link in links:
            link.stop()

    # Imported here, not with the command tree: Litestar and the pages take 0.5 s to import,
    # which every other command ('motcua sync' at each start, 'motcua check') paid for.
    from web.json_api.serve import serve_http
    from web.node_api.app import create_app

    # Stopping happens in the app's shutdown hooks: uvicorn re-raises SIGTERM once it has
    # shut down, so nothing after uvicorn.run() would run on a signal.
    app = create_app(
        runtime,
        on_startup=[start_ingest, start_replication],
        on_shutdown=[
            watchdog.stop,
            *([ingest.stop] if ingest else []),
            stop_replication,
            runtime.close,
            *on_shutdown,
        ],
    )
    serve_http(app, host, port, log_level, tls, on_started=watchdog.mark_listening)
