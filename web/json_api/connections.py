"""Bounded HTTP connections: how many, and how long a request head may take.

Uvicorn alone accepted every connection and waited forever for a request head, so 1,100
slow connections (a header byte every few seconds) used up the process's file limit:
``accept()`` then failed in a loop, logging a traceback each time, and other work of the
process (ingest opening a scan) failed with "Too many open files". Here a connection over
the bound is closed as soon as it is accepted, a request head must be complete within
``HEADER_TIMEOUT`` seconds, and an idle keep-alive connection closes after
``KEEP_ALIVE_TIMEOUT``; each kind of episode is logged once with a count.
"""

from __future__ import annotations

import asyncio
import errno
import resource
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from web.json_api.episodes import Episode

MAX_CONNECTIONS = 1000  # far above what an office's counters and kiosks open
HEADER_TIMEOUT = 10.0  # seconds for a request line and headers, from connect or last reply
KEEP_ALIVE_TIMEOUT = 5  # seconds an idle connection is kept between requests
# asyncio accepts up to ``backlog`` connections in one go before any is counted (uvicorn's
# default is 2048), so the bound must leave that many files free, and some for the rest of
# the process: database, blobs, ingest, the broker link.
BACKLOG = 128
RESERVED_FILES = 128

# The accept() failures asyncio reports, one traceback each, when the process is out of
# file descriptors or memory: transient, "try again later".
_RESOURCE_ERRNOS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int
    file_limit: int


def raise_file_limit() -> ConnectionLimits:
    """Raise the soft open-file limit to the hard one; connections may use what is left
    once a burst of accepts and the rest of the process are provided for."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass  # keep the soft limit we have
    spare = soft - RESERVED_FILES - BACKLOG
    return ConnectionLimits(max(1, min(MAX_CONNECTIONS, spare)), soft)


class Episodes:
    """The episodes one server logs (shared by its connections)."""

    def __init__(self) -> None:
        self.refused = Episode("http_connections_refused")
        self.slow_head = Episode("http_slow_request_heads_closed")
        self.accept_failed = Episode("http_accept_failed")


def bounded_protocol(limits: ConnectionLimits, episodes: Episodes) -> type[asyncio.Protocol]:
    class BoundedH11Protocol(H11Protocol):
        def __init__(self, config: Config, server_state: ServerState, **kwargs: Any) -> None:
            super().__init__(config, server_state, **kwargs)
            self._head_deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:
                episodes.refused.happened(f"max_connections={limits.max_connections}")
                transport.abort()
                return
            self._arm_head_deadline()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:  # the request head is complete
                self._disarm_head_deadline()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm_head_deadline()  # the next request's head, on a kept-alive connection

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_head_deadline()
            super().connection_lost(exc)

        def _arm_head_deadline(self) -> None:
            self._disarm_head_deadline()
            self._head_deadline = self.loop.call_later(HEADER_TIMEOUT, self._head_too_slow)

        def _disarm_head_deadline(self) -> None:
            if self._head_deadline is not None:
                self._head_deadline.cancel()
                self._head_deadline = None

        def _head_too_slow(self) -> None:
            self._head_deadline = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                episodes.slow_head.happened(f"header_timeout={HEADER_TIMEOUT:.0f}s")
                self.transport.abort()

    return BoundedH11Protocol


def install_accept_error_handler(loop: asyncio.AbstractEventLoop, episodes: Episodes) -> None:
    """asyncio logs each failed ``accept()`` with a traceback; count them as one episode."""
    default = loop.get_exception_handler()

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in _RESOURCE_ERRNOS:
            episodes.accept_failed.happened(f"errno={errno.errorcode.get(exc.errno or 0, '?')}")
            return
        if default is not None:
            default(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handle)
