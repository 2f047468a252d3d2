"""Checking a user name and password, with lock-out after repeated failures.

One answer for every failure (unknown name, wrong password, locked, disabled): the caller
never learns whether an account exists. Failures are counted in the database (they survive
a restart); ``MAX_FAILURES`` in a row lock the account for ``LOCK_MINUTES``, logged, until
it expires or ``motcua user unlock`` clears it. :class:`Throttle` slows repeated failures
of one name down before that, the same for names that exist and names that do not.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from datetime import timedelta

from accounts import passwords
from accounts.users import User, find, normalise_name
from rules.clock import to_utc_iso, utc_now
from storage.db import Database, scalar

log = logging.getLogger("motcua.accounts")

MAX_FAILURES = 5
LOCK_MINUTES = 15
FREE_FAILURES = 2  # a typo or two costs nothing
FIRST_DELAY_SECONDS = 0.5  # then doubling per failure
MAX_DELAY_SECONDS = 4.0


def authenticate(db: Database, name: str, password: str) -> User | None:
    """The user if the name and password match an enabled, unlocked account; else None."""
    user_id = normalise_name(name)
    user = find(db.read(), user_id) if user_id else None
    now = utc_now()
    if user is None:
        passwords.spend_like_a_verify(password)
        log.info("login_failed user=%r reason=unknown", user_id)
        return None
    row = db.read().execute("SELECT password_hash FROM users WHERE id = ?", (user.id,)).fetchone()
    matches = row is not None and passwords.verify(str(row[0]), password)
    if user.locked_at(to_utc_iso(now)):
        log.info("login_failed user=%r reason=locked until=%s", user.id, user.locked_until)
        return None
    if not matches:
        _count_failure(db, user.id)
        return None
    if user.disabled:
        log.info("login_failed user=%r reason=disabled", user.id)
        return None
    if user.failed_count:
        with db.write() as conn:
            conn.execute(
                "UPDATE users SET failed_count = 0, locked_until = NULL WHERE id = ?", (user.id,)
            )
    log.info("login user=%r", user.id)
    return user


def _count_failure(db: Database, user_id: str) -> None:
    now = utc_now()
    with db.write() as conn:
        failures = int(
            scalar(
                conn,
                "UPDATE users SET failed_count = failed_count + 1 WHERE id = ? "
                "RETURNING failed_count",
                (user_id,),
            )
        )
        locked_until = None
        if failures >= MAX_FAILURES:
            locked_until = to_utc_iso(now + timedelta(minutes=LOCK_MINUTES))
            conn.execute(
                "UPDATE users SET failed_count = 0, locked_until = ? WHERE id = ?",
                (locked_until, user_id),
            )
    if locked_until is not None:
        log.warning("account_locked user=%r until=%s failures=%d", user_id, locked_until, failures)
    else:
        log.info("login_failed user=%r reason=password failures=%d", user_id, failures)


class Throttle:
    """Seconds to wait after a failed log-in, per attempted name, held in memory (bounded):
    a guesser is slowed down whether or not the name exists."""

    def __init__(self, max_names: int = 10_000) -> None:
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._max_names = max_names

    def failed(self, name: str) -> float:
        key = normalise_name(name)[:64]
        with self._lock:
            count = self._failures.pop(key, (0, 0.0))[0] + 1
            self._failures[key] = (count, time.monotonic())
            while len(self._failures) > self._max_names:
                self._failures.popitem(last=False)
        if count <= FREE_FAILURES:
            return 0.0
        delay: float = FIRST_DELAY_SECONDS * 2.0 ** (count - FREE_FAILURES - 1)
        return min(MAX_DELAY_SECONDS, delay)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(normalise_name(name)[:64], None)
