"""Per-user API tokens: ``motcua token create`` prints one once; only its SHA-256 is kept.

A token is a long random value, so SHA-256 suffices and argon2 never runs per request. A
revoked token, or one of a disabled account, stops answering at once.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import msgspec

from accounts.sessions import digest
from accounts.users import User, check_name, find, row_to_user, user_columns
from rules.actor import Actor
from rules.clock import from_utc_iso, to_utc_iso, utc_now
from rules.errors import DossierError, NotFound
from rules.permissions import Operation, require
from storage.db import Database

PREFIX = "mcu_"  # recognisable in a leaked file or a log; the rest is 256 random bits
TOUCH_EVERY = timedelta(minutes=1)
_USER_COLUMNS = user_columns("u")


class TokenInfo(msgspec.Struct, frozen=True):
    id: str
    user_id: str
    name: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


def create(db: Database, actor: Actor, user: str, name: str = "") -> tuple[TokenInfo, str]:
    """(its record, the token itself: shown once, never stored)."""
    require(actor, Operation.MANAGE_ACCOUNTS)
    user_id = check_name(user)
    label = " ".join(name.split())[:100]
    token = PREFIX + secrets.token_urlsafe(32)
    token_id = secrets.token_hex(4)
    now = to_utc_iso(utc_now())
    with db.write() as conn:
        if find(conn, user_id) is None:
            raise NotFound(f"no user named {user_id!r}")
        conn.execute(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (token_id, user_id, label, digest(token), now),
        )
    return TokenInfo(token_id, user_id, label, now, None, None), token


def revoke(db: Database, actor: Actor, token_id: str) -> None:
    require(actor, Operation.MANAGE_ACCOUNTS)
    with db.write() as conn:
        row = conn.execute("SELECT revoked_at FROM api_tokens WHERE id = ?", (token_id,)).fetchone()
        if row is None:
            raise NotFound(f"no token with id {token_id!r}")
        if row[0] is not None:
            raise DossierError(f"token {token_id} was already revoked at {row[0]}", "id")
        conn.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ?",
            (to_utc_iso(utc_now()), token_id),
        )


def list_tokens(db: Database, actor: Actor) -> list[TokenInfo]:
    require(actor, Operation.MANAGE_ACCOUNTS)
    rows = db.read().execute(
        "SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens "
        "ORDER BY user_id, created_at"
    )
    return [TokenInfo(*(None if v is None else str(v) for v in r)) for r in rows]  # type: ignore[arg-type]


def resolve(db: Database, token: str) -> tuple[User, str, bool] | None:
    """(the token's user, the token id, whether last_used should be written) for a live
    token of an enabled account; None otherwise."""
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    row = (
        db.read()
        .execute(
            f"SELECT t.id, t.last_used_at, {_USER_COLUMNS} FROM api_tokens t "
            "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL",
            (digest(token),),
        )
        .fetchone()
    )
    if row is None:
        return None
    user = row_to_user(row[2:])
    if user.disabled:
        return None
    stale = row[1] is None or utc_now() - from_utc_iso(str(row[1])) > TOUCH_EVERY
    return user, str(row[0]), stale


def touch(db: Database, token_id: str) -> None:
    with db.write() as conn:
        conn.execute(
            "UPDATE api_tokens SET last_used_at = ? WHERE id = ?",
            (to_utc_iso(utc_now()), token_id),
        )
