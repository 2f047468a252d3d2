"""The city's accounts, sessions and API tokens: ``accounts.sqlite3`` in its data directory.

SQLite (apsw, WAL, the same ``accounts`` tables as a node's) even when the dossier store is
PostgreSQL: a province has a few dozen city accounts, and one API process per city server
writes them, so one small file beside ``central.toml`` is simpler to run and to back up
than tables in the shared database. Its limit: several API hosts behind one address would
each hold their own accounts and sessions; that setup needs the accounts in PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import apsw

from accounts.schema import CITY_MIGRATIONS
from settings import city as config_mod
from storage import db as db_mod
from storage.migrations import apply_migrations


def open_accounts(data_dir: Path) -> db_mod.Database:
    """The city's accounts database, created and migrated if need be.

    Raises DatabaseError (damaged file, or written by a newer motcua-edge)."""
    path = data_dir / config_mod.ACCOUNTS_DATABASE_NAME
    conn = db_mod.connect(path)
    try:
        db_mod.quick_check(conn, path)
        apply_migrations(conn, CITY_MIGRATIONS)
    except (apsw.CorruptError, apsw.NotADBError) as exc:
        raise db_mod.DatabaseError(
            f"{path}: the database file is damaged or not a database ({exc}); restore it "
            "from a backup"
        ) from exc
    finally:
        conn.close()
    return db_mod.Database(path)
