"""The group commit (``storage.db.Database.submit`` and ``submit_async``): every caller's
work in one durable transaction, each in its own savepoint, answered only once the COMMIT
returned; a refused piece of work rolls back alone and its caller gets its error; an
event-loop caller waits without a thread, and one that went away breaks nothing."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import apsw
import pytest

from storage.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "group.sqlite3")
    with database.write() as conn:
        conn.execute("CREATE TABLE items (n INTEGER PRIMARY KEY, note TEXT NOT NULL)")
    yield database
    database.close()


def insert(n: int, note: str = "ok") -> Callable[[apsw.Connection], int]:
    def work(conn: apsw.Connection) -> int:
        conn.execute("INSERT INTO items (n, note) VALUES (?, ?)", (n, note))
        if note == "refuse":
            raise ValueError(f"item {n} refused")
        return n

    return work


def stored(db: Database) -> list[int]:
    # A fresh connection: what is durable in the file, not what one connection sees.
    conn = apsw.Connection(str(db.path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return [int(r[0]) for r in conn.execute("SELECT n FROM items ORDER BY n")]
    finally:
        conn.close()


def test_many_coroutines_commit_together_and_each_gets_its_own_answer(db: Database) -> None:
    async def main() -> list[int | BaseException]:
        works = [insert(n, "refuse" if n % 7 == 0 else "ok") for n in range(1, 101)]
        return await asyncio.gather(*(db.submit_async(w) for w in works), return_exceptions=True)

    answers = asyncio.run(main())
    for n, answer in enumerate(answers, 1):
        if n % 7 == 0:
            assert isinstance(answer, ValueError) and str(answer) == f"item {n} refused"
        else:
            assert answer == n
    assert stored(db) == [n for n in range(1, 101) if n % 7]  # the refused ones rolled back


def test_threads_and_coroutines_share_one_writer(db: Database) -> None:
    thread_answers: list[int] = []

    def from_threads() -> None:
        thread_answers.extend(db.submit(insert(n)) for n in range(1000, 1050))

    async def from_loop() -> list[int]:
        return list(await asyncio.gather(*(db.submit_async(insert(n)) for n in range(1, 51))))

    worker = threading.Thread(target=from_threads)
    worker.start()
    loop_answers = asyncio.run(from_loop())
    worker.join()
    assert loop_answers == list(range(1, 51)) and thread_answers == list(range(1000, 1050))
    assert stored(db) == [*range(1, 51), *range(1000, 1050)]


def test_an_answer_comes_only_after_the_commit_is_durable(db: Database) -> None:
    async def main() -> list[int]:
        n = await db.submit_async(insert(7))
        return stored(db) if n == 7 else []  # read from another connection at once

    assert asyncio.run(main()) == [7]


def test_a_caller_that_went_away_breaks_nothing(db: Database) -> None:
    """Cancelled while its work waits for the writer: the work still commits (as a thread
    caller's would), the writer goes on serving, and the next caller is answered."""
    release = threading.Event()

    def slow(conn: apsw.Connection) -> int:
        release.wait(timeout=10)
        conn.execute("INSERT INTO items (n, note) VALUES (1, 'slow')")
        return 1

    async def main() -> int:
        waiting = asyncio.ensure_future(db.submit_async(slow))
        await asyncio.sleep(0)  # queued
        waiting.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        return await db.submit_async(insert(2))

    assert asyncio.run(main()) == 2
    assert stored(db) == [1, 2]


def test_a_loop_closed_before_the_commit_does_not_stop_the_writer(db: Database) -> None:
    release = threading.Event()

    def slow(conn: apsw.Connection) -> int:
        release.wait(timeout=10)
        conn.execute("INSERT INTO items (n, note) VALUES (1, 'slow')")
        return 1

    loop = asyncio.new_event_loop()
    task = loop.create_task(db.submit_async(slow))
    loop.run_until_complete(asyncio.sleep(0.01))  # queued, the writer inside ``slow``
    task.cancel()
    loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
    loop.close()
    release.set()  # the writer now answers a closed loop
    answers: list[int] = []
    caller = threading.Thread(target=lambda: answers.append(db.submit(insert(2))), daemon=True)
    caller.start()
    caller.join(timeout=15)  # a dead writer would leave it waiting for ever
    assert answers == [2], "the writer stopped serving after answering a closed loop"
    assert stored(db) == [1, 2]
