"""A TCP proxy between a client and the broker that tests use to break the link on cue.

The node connects to the proxy instead of the broker. Tests can then cut every
connection (RST, as when a router reboots), stall the link (sockets stay open, no byte
moves, as with a dead 4G uplink), refuse new connections, cut after exactly N more bytes
in one direction (mid-batch, mid-chunk), and cap throughput. Counters say how many bytes
went through each way.

"up" is client -> server (node -> broker), "down" is server -> client.

Threads, not asyncio: two pump threads per connection with non-blocking sockets and
short select() timeouts, so a cut or a stall takes effect within ~50 ms even while a
pump is blocked on a slow peer. Every socket and thread is closed by ``close()``.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
from types import TracebackType
from typing import Final, Literal, Self

from sync.token_bucket import TokenBucket

Direction = Literal["up", "down"]
DIRECTIONS: Final[tuple[Direction, Direction]] = ("up", "down")

_TICK: Final = 0.05  # how often a blocked thread re-checks stall/cut flags
_PIECE: Final = 16 * 1024  # forwarding granularity for byte budgets and the rate cap


def _reset(sock: socket.socket) -> None:
    """Close with RST instead of FIN: the peer sees 'connection reset', not a clean end."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class _Link:
    """One proxied connection: the accepted client socket and our socket to the server."""

    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.client = client
        self.server = server
        self.closed = threading.Event()
        self._lock = threading.Lock()
        self._eof: set[Direction] = set()

    def abort(self) -> None:
        """Reset both sides; idempotent, callable from any thread."""
        with self._lock:
            if self.closed.is_set():
                return
            self.closed.set()
        _reset(self.client)
        _reset(self.server)

    def half_closed(self, direction: Direction) -> bool:
        """Record an orderly EOF one way; True once both ways have ended."""
        with self._lock:
            self._eof.add(direction)
            return len(self._eof) == 2


class FaultProxy:
    """Listens on 127.0.0.1:<free port> and forwards to ``target``; see module docstring."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._lock = threading.Lock()
        self._links: set[_Link] = set()
        self._threads: list[threading.Thread] = []  # every pump ever started, for close()
        self._flowing = threading.Event()
        self._flowing.set()
        self._refusing = False
        self._closed = threading.Event()
        self._budget: dict[Direction, int | None] = {"up": None, "down": None}
        self._buckets: dict[Direction, TokenBucket | None] = {"up": None, "down": None}
        self._bytes: dict[Direction, int] = {"up": 0, "down": 0}
        # What went through each way since record() (None: not recording).
        self._recording: dict[Direction, bytearray | None] = {"up": None, "down": None}
        # Held around each send() and the count that follows it, and by bytes_forwarded():
        # a test that saw the peer react to some bytes always reads a count that has them.
        self._sending: dict[Direction, threading.Lock] = {d: threading.Lock() for d in DIRECTIONS}
        self.accepted = 0  # connections accepted and forwarded
        self.refused = 0  # connections reset because refuse(True) was on
        self.cuts = 0  # cut() calls, including ones triggered by cut_after_bytes

        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(_TICK)
        self.host = "127.0.0.1"
        self.port: int = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, name="proxy-accept")
        self._acceptor.daemon = True
        self._acceptor.start()

    # -- controls ---------------------------------------------------------------------------

    def cut(self) -> int:
        """Reset every current connection; returns how many. New ones are still accepted."""
        with self._lock:
            links = list(self._links)
            self._links.clear()
            self.cuts += 1
        for link in links:
            link.abort()
        return len(links)

    def stall(self) -> None:
        """Stop moving bytes in both directions; sockets stay open, data waits."""
        self._flowing.clear()

    def resume(self) -> None:
        """Undo ``stall()``: held bytes are forwarded."""
        self._flowing.set()

    def refuse(self, refusing: bool = True) -> None:
        """While True, new connections are reset at once; current ones are untouched."""
        with self._lock:
            self._refusing = refusing

    def cut_after_bytes(self, n: int, direction: Direction) -> None:
        """Forward exactly ``n`` more bytes ``direction`` (over all connections), then cut.

        One-shot: the trigger disarms once it fires.
        """
        if n < 0:
            raise ValueError(f"byte count must be >= 0, got {n}")
        with self._lock:
            self._budget[direction] = n

    def limit_rate(self, bytes_per_s: float, direction: Direction | None = None) -> None:
        """Cap throughput (shared by all connections) one way or both; 0 removes the cap."""
        for d in DIRECTIONS if direction is None else (direction,):
            bucket = TokenBucket(bytes_per_s, _PIECE) if bytes_per_s > 0 else None
            with self._lock:
                self._buckets[d] = bucket

    # -- observations -------------------------------------------------------------------------

    def record(self, direction: Direction) -> None:
        """Keep every byte delivered ``direction`` from now on (see ``recorded``)."""
        with self._sending[direction]:
            self._recording[direction] = bytearray()

    def recorded(self, direction: Direction) -> bytes:
        """The bytes delivered ``direction`` since ``record``: a test finds where a message
        went in the stream, whatever the far side took to react to it."""
        with self._sending[direction]:
            return bytes(self._recording[direction] or b"")

    def bytes_forwarded(self, direction: Direction) -> int:
        """Bytes delivered to the far side ``direction`` since the proxy started."""
        with self._sending[direction]:
            return self._bytes[direction]

    @property
    def active(self) -> int:
        """Connections currently open through the proxy."""
        with self._lock:
            return len(self._links)

    # -- machinery --------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # listener closed
            with self._lock:
                refusing = self._refusing
                if refusing:
                    self.refused += 1
            if refusing:
                _reset(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=2.0)
            except OSError:
                _reset(client)  # broker down: the client sees its connection reset
                continue
            self._start_link(client, server)

    def _start_link(self, client: socket.socket, server: socket.socket) -> None:
        for s in (client, server):
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        link = _Link(client, server)
        pumps = [
            threading.Thread(
                target=self._pump,
                args=(link, src, dst, direction),
                name=f"proxy-{direction}",
                daemon=True,
            )
            for src, dst, direction in ((client, server, "up"), (server, client, "down"))
        ]
        with self._lock:
            if self._closed.is_set():
                link.abort()
                return
            self._links.add(link)
            self.accepted += 1
            self._threads = [t for t in self._threads if t.is_alive()] + pumps
        for t in pumps:
            t.start()

    def _pump(
        self, link: _Link, src: socket.socket, dst: socket.socket, direction: Direction
    ) -> None:
        try:
            while not link.closed.is_set():
                if not self._flowing.wait(_TICK):
                    continue  # stalled: leave bytes in the kernel so TCP backpressure works
                readable, _, _ = select.select([src], [], [], _TICK)
                if not readable:
                    continue
                try:
                    data = src.recv(65536)
                except BlockingIOError:
                    continue  # select() said readable, but nothing after all
                if not data:
                    self._half_close(link, dst, direction)
                    return
                self._forward(link, dst, data, direction)
        except (OSError, ValueError):
            # ValueError: select() on a socket another thread just closed.
            self._drop(link)

    def _half_close(self, link: _Link, dst: socket.socket, direction: Direction) -> None:
        # An orderly FIN one way is passed on as a FIN; the other way keeps flowing.
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)
        if link.half_closed(direction):
            self._drop(link)

    def _forward(self, link: _Link, dst: socket.socket, data: bytes, direction: Direction) -> None:
        view = memoryview(data)
        while view and not link.closed.is_set():
            piece = view[:_PIECE]
            with self._lock:
                budget = self._budget[direction]
                if budget is not None:
                    piece = piece[:budget]
                    self._budget[direction] = budget - len(piece)
                bucket = self._buckets[direction]
            self._throttle(link, bucket, len(piece))
            self._send_all(link, dst, piece, direction)
            with self._lock:
                fire = self._budget[direction] == 0
                if fire:
                    self._budget[direction] = None
            if fire:
                self.cut()
                return
            view = view[len(piece) :]

    def _throttle(self, link: _Link, bucket: TokenBucket | None, n: int) -> None:
        while bucket is not None and n and not link.closed.is_set():
            if bucket.try_acquire(n):
                return
            time.sleep(min(bucket.wait_time(n), _TICK))

    def _send_all(
        self, link: _Link, dst: socket.socket, piece: memoryview, direction: Direction
    ) -> None:
        while piece:
            if link.closed.is_set():
                raise ConnectionAbortedError("link was cut")
            if not self._flowing.is_set():
                self._flowing.wait(_TICK)  # stalled after we read: hold the bytes
                continue
            _, writable, _ = select.select([], [dst], [], _TICK)
            if not writable:
                continue
            with self._sending[direction]:
                try:
                    sent = dst.send(piece)
                except BlockingIOError:
                    continue
                self._bytes[direction] += sent
                if (recording := self._recording[direction]) is not None:
                    recording += piece[:sent]
            piece = piece[sent:]

    def _drop(self, link: _Link) -> None:
        with self._lock:
            self._links.discard(link)
        link.abort()

    # -- lifetime -------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop accepting, reset every connection, join every thread; idempotent."""
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        self._acceptor.join(5.0)
        with self._lock:
            links = list(self._links)
            self._links.clear()
        for link in links:
            link.abort()
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            if t.ident is not None:  # started
                t.join(5.0)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
