"""The accounts tables: at a node in its own database (migrations 008 and 011 of
node.schema's ordered list), at the city in ``accounts.sqlite3`` (``CITY_MIGRATIONS``)."""

from __future__ import annotations

import apsw

from storage.migrations import Migration


def m008_accounts(conn: apsw.Connection) -> None:
    # Secrets are never stored as given: passwords as argon2id hashes, session ids and API
    # tokens as SHA-256 (they are long random values, so a fast hash is enough and keeps
    # argon2 off the per-request path).
    conn.execute(
        """
        CREATE TABLE users (
            id TEXT PRIMARY KEY,  -- the log-in name
            display_name TEXT NOT NULL,
            roles TEXT NOT NULL,  -- role names separated by spaces
            language TEXT NOT NULL DEFAULT 'vi' CHECK (language IN ('vi', 'en')),
            disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
            failed_count INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE sessions (
            id_hash TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users (id),
            csrf_token TEXT NOT NULL,
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX sessions_by_user ON sessions (user_id);
        CREATE TABLE api_tokens (
            id TEXT PRIMARY KEY,  -- public, for 'motcua token list' and 'token revoke'
            user_id TEXT NOT NULL REFERENCES users (id),
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            last_used_at TEXT,
            revoked_at TEXT
        );
        CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
        """
    )


def m011_user_node(conn: apsw.Connection) -> None:
    # The one node a commune-viewer (at the city) may see; NULL for every other account,
    # and for every account of a node, which has the column only to share the code.
    conn.execute("ALTER TABLE users ADD COLUMN node_id TEXT")


# The city's accounts database holds nothing else, so its list starts at 001.
CITY_MIGRATIONS: list[tuple[str, Migration]] = [
    ("001_accounts", m008_accounts),
    ("002_user_node", m011_user_node),
]
