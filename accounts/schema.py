"""Migration 008: the accounts tables (registered in node.schema's ordered list)."""

from __future__ import annotations

import apsw


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
