"""Run an ASGI app under uvicorn with bounded connections (``connections``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import uvicorn

from web.json_api.connections import (
    BACKLOG,
    KEEP_ALIVE_TIMEOUT,
    Episodes,
    bounded_protocol,
    install_accept_error_handler,
    raise_file_limit,
)

log = logging.getLogger("motcua.http")


def serve_http(
    app: object,
    host: str,
    port: int,
    log_level: str = "info",
    tls: tuple[str, str] | None = None,
    on_started: Callable[[], object] | None = None,
) -> None:
    """Serve until a signal stops it (uvicorn re-raises the signal once shut down).
    ``tls``: (certificate file, key file) to serve HTTPS; ``on_started``: called once the
    app has started and the port is bound (systemd readiness)."""
    limits = raise_file_limit()
    episodes = Episodes()
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        http=bounded_protocol(limits, episodes),
        timeout_keep_alive=KEEP_ALIVE_TIMEOUT,
        backlog=BACKLOG,
        ssl_certfile=None if tls is None else tls[0],
        ssl_keyfile=None if tls is None else tls[1],
    )
    server = uvicorn.Server(config)
    log.info(
        "event=http_limits max_connections=%d file_limit=%d",
        limits.max_connections,
        limits.file_limit,
    )

    async def main() -> None:
        install_accept_error_handler(asyncio.get_running_loop(), episodes)
        if on_started is None:
            await server.serve()
            return
        started = asyncio.create_task(_when_started(server, on_started))
        try:
            await server.serve()
        finally:
            started.cancel()

    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(main())


async def _when_started(server: uvicorn.Server, on_started: Callable[[], object]) -> None:
    # uvicorn sets ``started`` once startup hooks ran and its sockets listen.
    while not server.started:
        if server.should_exit:
            return
        await asyncio.sleep(0.05)
    on_started()
