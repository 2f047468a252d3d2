"""Applying named, ordered schema migrations to a SQLite database, each recorded in
``_migrations``: the node's database and the city's SQLite store use this one runner.
"""

from __future__ import annotations

from collections.abc import Callable

import apsw

from rules.clock import to_utc_iso, utc_now
from storage.db import DatabaseError

Migration = Callable[[apsw.Connection], None]


def applied(conn: apsw.Connection) -> list[str]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    return [str(r[0]) for r in conn.execute("SELECT name FROM _migrations ORDER BY name")]


def apply_migrations(conn: apsw.Connection, migrations: list[tuple[str, Migration]]) -> list[str]:
    """Apply what is missing, each in its own transaction; return the names applied now."""
    done = set(applied(conn))
    known = {name for name, _ in migrations}
    unknown = done - known
    if unknown:
        raise DatabaseError(
            f"the database has migrations this software does not know: {sorted(unknown)}; "
            "it was written by a newer motcua-edge"
        )
    now_applied = []
    for name, migration in migrations:
        if name in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            migration(conn)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                (name, to_utc_iso(utc_now())),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        now_applied.append(name)
    return now_applied
