"""Log-in sessions kept in SQLite (they survive a restart).

The cookie holds a random session id; the table holds only its SHA-256, so a copy of the
database (a backup) opens no session. Each request checks the account is still enabled
(a disabled account's sessions stop at once) and the idle and absolute limits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from accounts.users import User, row_to_user, user_columns
from rules.clock import from_utc_iso, to_utc_iso, utc_now
from storage.db import Database

TOUCH_EVERY = timedelta(minutes=1)  # last_seen is written at most this often per session
_USER_COLUMNS = user_columns("u")


@dataclass(frozen=True)
class Limits:
    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class Session:
    id_hash: str
    user: User
    csrf_token: str
    last_seen_at: datetime


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(db: Database, user_id: str) -> tuple[str, str]:
    """A new session for the user: (the cookie's session id, the CSRF token)."""
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = to_utc_iso(utc_now())
    with db.write() as conn:
        conn.execute(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (digest(session_id), user_id, csrf, now, now),
        )
    return session_id, csrf


def resolve(db: Database, session_id: str, limits: Limits) -> Session | None:
    """The live session of this cookie value, or None (unknown, ended, expired, disabled)."""
    if not session_id or len(session_id) > 100:
        return None
    id_hash = digest(session_id)
    row = (
        db.read()
        .execute(
            f"SELECT s.csrf_token, s.created_at, s.last_seen_at, {_USER_COLUMNS} "
            "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?",
            (id_hash,),
        )
        .fetchone()
    )
    if row is None:
        return None
    user = row_to_user(row[3:])
    now = utc_now()
    created, last_seen = from_utc_iso(str(row[1])), from_utc_iso(str(row[2]))
    if user.disabled:
        return None
    if now - last_seen > limits.idle or now - created > limits.absolute:
        return None  # deleted by end_expired (at start-up and at each log-in)
    return Session(id_hash, user, str(row[0]), last_seen)


def needs_touch(session: Session) -> bool:
    return utc_now() - session.last_seen_at > TOUCH_EVERY


def touch(db: Database, session: Session) -> None:
    with db.write() as conn:
        conn.execute(
            "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?",
            (to_utc_iso(utc_now()), session.id_hash),
        )


def end(db: Database, session_id: str) -> None:
    with db.write() as conn:
        conn.execute("DELETE FROM sessions WHERE id_hash = ?", (digest(session_id),))


def end_expired(db: Database, limits: Limits) -> int:
    """Delete the sessions past a limit (at start-up and at each log-in)."""
    now = utc_now()
    with db.write() as conn:
        rows = conn.execute(
            "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ? RETURNING id_hash",
            (to_utc_iso(now - limits.idle), to_utc_iso(now - limits.absolute)),
        ).fetchall()
    return len(rows)
