"""The one place that opens the node's SQLite database (apsw).

WAL with ``synchronous=FULL`` makes every commit durable before it returns, so a handler
that answers after :func:`write_transaction` never reports a write that a power cut can
take back. Writes use ``BEGIN IMMEDIATE``: a deferred read-then-write would fail with
SQLITE_BUSY instead of waiting for the other writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

import apsw

BUSY_TIMEOUT_MS = 10_000


class DatabaseError(Exception):
    """The database cannot be used as it is (corrupt, not a database, wrong schema)."""


def connect(path: Path, *, readonly: bool = False) -> apsw.Connection:
    flags = (
        apsw.SQLITE_OPEN_READONLY
        if readonly
        else apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE
    )
    try:
        conn = apsw.Connection(str(path), flags=flags)
        conn.set_busy_timeout(BUSY_TIMEOUT_MS)
        conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchall()[0][0]
            if str(mode).lower() != "wal":
                raise DatabaseError(f"{path}: could not switch to WAL journal mode (got {mode})")
        conn.execute("PRAGMA synchronous = FULL")
    except (apsw.CorruptError, apsw.NotADBError) as exc:
        raise DatabaseError(
            f"{path}: the database file is damaged or not a database ({exc})"
        ) from exc
    return conn


def quick_check(conn: apsw.Connection, path: Path) -> None:
    """Raise DatabaseError with SQLite's own findings unless ``PRAGMA quick_check`` is ok."""
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check")]
    except (apsw.CorruptError, apsw.NotADBError) as exc:
        raise DatabaseError(
            f"{path}: the database file is damaged or not a database ({exc})"
        ) from exc
    if rows != ["ok"]:
        shown = "; ".join(rows[:5])
        raise DatabaseError(f"{path}: integrity check failed: {shown}")


@contextmanager
def immediate(conn: apsw.Connection) -> Iterator[apsw.Connection]:
    """One write transaction: BEGIN IMMEDIATE, COMMIT on success, ROLLBACK on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:  # some errors (SQLITE_FULL, IOERR) already rolled it back
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def scalar(conn: apsw.Connection, sql: str, args: Sequence[object] = ()) -> Any:
    """The first column of the first row (None when there is no row)."""
    row = conn.execute(sql, args).fetchone()
    return None if row is None else row[0]


T = TypeVar("T")

# The most requests one group commit takes: bounds the latency of the first in the group.
MAX_GROUP = 64


class _Job(Generic[T]):
    """One caller's share of a group commit; the caller waits on ``done`` (a thread) or is
    told through ``on_done`` (an event loop, ``submit_async``)."""

    def __init__(
        self,
        work: Callable[[apsw.Connection], T],
        on_done: Callable[[_Job[T]], None] | None = None,
    ) -> None:
        self.work = work
        self.done = threading.Event()
        self.on_done = on_done
        self.value: T | None = None
        self.error: BaseException | None = None

    def finish(self) -> None:
        self.done.set()
        if self.on_done is not None:
            self.on_done(self)

    def result(self) -> T:
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class Database:
    """Per-thread connections to one file, and a process-wide lock that orders writers.

    SQLite's busy handler sleeps and retries, which gives poor latency when threads of one
    process contend; the lock makes them queue instead. Other processes (a CLI backup, an
    ingest process) still wait through the busy timeout.

    ``submit`` adds group commit for the request path: one writer thread runs every queued
    piece of work in one transaction, each inside its own savepoint (a refused request
    rolls back alone), and one fsync'd COMMIT makes the whole group durable before any of
    its callers is answered.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._all: list[apsw.Connection] = []
        self._all_lock = threading.Lock()
        self._closed = False
        self._jobs: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()

    def submit(self, work: Callable[[apsw.Connection], T]) -> T:
        """Run ``work(conn)`` in a write transaction; return once its commit is durable."""
        job = _Job(work)
        self._enqueue(job)
        return job.result()

    async def submit_async(self, work: Callable[[apsw.Connection], T]) -> T:
        """``submit`` for a coroutine: the event loop waits for the group commit without a
        worker thread of its own to block in (a dossier create crossed two threads: the web
        framework's worker, then this writer). The same transaction, savepoint and fsync'd
        COMMIT; the answer comes only once the commit is durable."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[T] = loop.create_future()

        def settle(job: _Job[T]) -> None:
            if answer.cancelled():  # the caller went away; the work stands or fails alone
                return
            if job.error is not None:
                answer.set_exception(job.error)
            else:
                answer.set_result(job.value)  # type: ignore[arg-type]

        def hand_back(job: _Job[T]) -> None:  # runs in the writer thread
            # A loop that has closed (shut down) has nobody waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, job)

        self._enqueue(_Job(work, hand_back))
        return await answer

    def _enqueue(self, job: _Job[Any]) -> None:
        if self._closed:
            raise DatabaseError(f"{self.path}: database is closed")
        with self._writer_lock:
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_groups, name="motcua-db-writer", daemon=True
                )
                self._writer.start()
        self._jobs.put(job)

    def _write_groups(self) -> None:
        conn = self.conn()
        while (first := self._jobs.get()) is not None:
            group = [first]
            stop = False
            while len(group) < MAX_GROUP:
                try:
                    nxt = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                group.append(nxt)
            self._run_group(conn, group)
            if stop:
                return

    def _run_group(self, conn: apsw.Connection, group: list[_Job[Any]]) -> None:
        succeeded: list[tuple[_Job[Any], Any]] = []
        try:
            with self._write_lock:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for job in group:
                        conn.execute("SAVEPOINT job")
                        try:
                            value = job.work(conn)
                        except BaseException as exc:
                            if not conn.in_transaction:
                                raise  # the error ended the whole transaction: fail the group
                            conn.execute("ROLLBACK TO job")
                            conn.execute("RELEASE job")
                            job.error = exc
                            job.finish()
                            continue
                        conn.execute("RELEASE job")
                        succeeded.append((job, value))
                except BaseException:
                    if conn.in_transaction:  # some errors already rolled it back
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
        except BaseException as exc:  # BEGIN or COMMIT failed: nobody's work is durable
            for job, _ in succeeded:
                job.error = exc
                job.finish()
            for job in group:
                if not job.done.is_set():
                    job.error = exc
                    job.finish()
            return
        for job, value in succeeded:
            job.value = value
            job.finish()

    def conn(self) -> apsw.Connection:
        if self._closed:
            raise DatabaseError(f"{self.path}: database is closed")
        conn: apsw.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[apsw.Connection]:
        conn = self.conn()
        with self._write_lock, immediate(conn):
            yield conn

    def read(self) -> apsw.Connection:
        return self.conn()

    def close(self) -> None:
        """Close every connection; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            self._jobs.put(None)
            self._writer.join(timeout=30)
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
