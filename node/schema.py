"""The node database's schema: its named, ordered migrations (run by ``storage.migrations``).

One database file holds the node's log and dossiers and the tables of the services that
commit in the same transactions (scan receipts with their document events, the uplink's
replication state), so its history is one ordered list here. Append new migrations at the
end; never edit one that has shipped.
"""

from __future__ import annotations

import hashlib

import apsw

from accounts.schema import m008_accounts, m011_user_node
from node import indicator_facts
from storage.dossier_rows import EXACT_APPOINTMENT_SQL, RECEIVED_ORDER_SQL
from storage.migrations import Migration, apply_migrations


def m001_event_log(conn: apsw.Connection) -> None:
    # The append-only log is the source of truth and the replication outbox. Triggers make
    # "immutable" and "dense seq per origin" structural rather than a matter of care.
    conn.execute(
        """
        CREATE TABLE events (
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL CHECK (seq >= 1),
            id TEXT NOT NULL UNIQUE,
            stream TEXT NOT NULL,
            kind TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            actor TEXT NOT NULL,
            format INTEGER NOT NULL,
            body BLOB NOT NULL,
            PRIMARY KEY (origin, seq)
        ) WITHOUT ROWID;
        CREATE INDEX events_by_stream ON events (stream, recorded_at);
        CREATE TRIGGER events_no_gap BEFORE INSERT ON events
        WHEN NEW.seq != COALESCE((SELECT MAX(seq) FROM events WHERE origin = NEW.origin), 0) + 1
        BEGIN SELECT RAISE(ABORT, 'event seq would leave a gap or repeat'); END;
        CREATE TRIGGER events_immutable_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;
        CREATE TRIGGER events_immutable_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;

        CREATE TABLE node_identity (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """
    )


def m002_reference_data(conn: apsw.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE procedures (
            code TEXT NOT NULL,
            version TEXT NOT NULL,
            name TEXT NOT NULL,
            field TEXT NOT NULL,
            time_limit INTEGER NOT NULL,
            time_unit TEXT NOT NULL
                CHECK (time_unit IN ('working_days', 'calendar_days', 'working_hours')),
            online_level TEXT NOT NULL CHECK (online_level IN ('full', 'partial', 'none')),
            components TEXT NOT NULL,  -- JSON list of names
            sample INTEGER NOT NULL DEFAULT 0,
            current INTEGER NOT NULL DEFAULT 1,  -- the version new dossiers use
            updated_at TEXT NOT NULL,
            PRIMARY KEY (code, version)
        );
        CREATE UNIQUE INDEX procedures_one_current ON procedures (code) WHERE current = 1;

        CREATE TABLE calendar_days (
            date TEXT PRIMARY KEY,  -- YYYY-MM-DD, office-local
            kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
            name TEXT NOT NULL
        );
        """
    )


def m003_dossiers(conn: apsw.Connection) -> None:
    # Projection of the event log: rebuilt from events, updated in the same transaction.
    conn.execute(
        """
        CREATE TABLE dossiers (
            id TEXT PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            origin TEXT NOT NULL,
            procedure_code TEXT NOT NULL,
            status INTEGER NOT NULL CHECK (status BETWEEN 1 AND 10),
            channel TEXT NOT NULL,
            received_at TEXT,
            due_at TEXT,
            finished_at TEXT,
            search_text TEXT NOT NULL,  -- folded: no diacritics, đ -> d, lower case
            state BLOB NOT NULL,        -- the full DossierState, JSON
            updated_at TEXT NOT NULL
        );
        CREATE INDEX dossiers_by_received ON dossiers (received_at);
        CREATE INDEX dossiers_by_status ON dossiers (status, due_at);

        CREATE TABLE dossier_code_serials (
            day TEXT PRIMARY KEY,  -- office-local YYYY-MM-DD of reception
            last_serial INTEGER NOT NULL
        );

        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            mime TEXT NOT NULL,
            stored_at TEXT NOT NULL
        );
        CREATE TABLE documents (
            event_id TEXT PRIMARY KEY,
            dossier_id TEXT NOT NULL REFERENCES dossiers (id),
            sha256 TEXT NOT NULL REFERENCES blobs (sha256),
            role TEXT NOT NULL,
            copy_kind TEXT NOT NULL,
            filename TEXT NOT NULL,
            attached_at TEXT NOT NULL
        );
        CREATE INDEX documents_by_dossier ON documents (dossier_id, attached_at);
        CREATE INDEX documents_by_sha ON documents (sha256);
        """
    )


def m004_ingest(conn: apsw.Connection) -> None:
    # Scanner drop folders. A receipt is written in the same transaction as the document
    # events it causes, so a restart that finds the source still in the drop folder can tell
    # "committed, not yet moved" (same folder, name, size, mtime and bytes, disposed_at NULL)
    # from a new drop of the same bytes (a duplicate receipt, no second document).
    conn.execute(
        """
        CREATE TABLE scan_receipts (
            id TEXT PRIMARY KEY,             -- UUID v7
            folder TEXT NOT NULL,            -- ingest.folder name
            name TEXT NOT NULL,              -- path relative to the drop folder, NFC
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            sha256 TEXT NOT NULL,            -- of the source's bytes
            kind TEXT,                       -- pdf | tiff | jpeg | png (NULL: not known)
            pages INTEGER NOT NULL DEFAULT 0,
            outcome TEXT NOT NULL
                CHECK (outcome IN ('attached', 'unfiled', 'split', 'duplicate', 'quarantined')),
            duplicate_of TEXT REFERENCES scan_receipts (id),
            reason TEXT,                     -- quarantine reason code
            detail TEXT NOT NULL DEFAULT '',
            stable_at TEXT NOT NULL,         -- when the file was judged finished (UTC)
            received_at TEXT NOT NULL,       -- when this row was committed (UTC)
            disposed_at TEXT,                -- source moved or deleted; NULL: not yet
            disposed_to TEXT                 -- where it went ('' when deleted)
        );
        CREATE INDEX scan_receipts_by_source ON scan_receipts (folder, name, size, mtime_ns);
        CREATE INDEX scan_receipts_by_sha ON scan_receipts (sha256);
        CREATE INDEX scan_receipts_by_received ON scan_receipts (received_at);
        CREATE INDEX scan_receipts_undisposed ON scan_receipts (folder) WHERE disposed_at IS NULL;

        -- What became of each part of a scan: the whole file, or one slip's pages of a
        -- split. An unmatched part waits in the unfiled inbox until assigned or rejected.
        CREATE TABLE scan_parts (
            id TEXT PRIMARY KEY,             -- UUID v7
            receipt_id TEXT NOT NULL REFERENCES scan_receipts (id),
            part INTEGER NOT NULL,           -- 0-based, in page order
            first_page INTEGER NOT NULL,     -- 0-based, inclusive
            stop_page INTEGER NOT NULL,      -- exclusive
            sha256 TEXT NOT NULL REFERENCES blobs (sha256),
            size INTEGER NOT NULL,
            mime TEXT NOT NULL,
            filename TEXT NOT NULL,
            role TEXT NOT NULL,
            copy_kind TEXT NOT NULL,
            matched_by TEXT NOT NULL CHECK (matched_by IN ('qr', 'filename', 'unmatched')),
            code TEXT,                       -- the dossier code a slip or the name gave
            candidates TEXT NOT NULL DEFAULT '[]',  -- JSON: codes of an ambiguous slip page
            unfiled_reason TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL
                CHECK (state IN ('attached', 'duplicate', 'unfiled', 'assigned', 'rejected')),
            dossier_id TEXT REFERENCES dossiers (id),
            event_id TEXT,                   -- the document_attached event
            decided_at TEXT,                 -- assigned or rejected (UTC)
            decided_by TEXT,
            note TEXT NOT NULL DEFAULT '',   -- the reason given for a rejection
            UNIQUE (receipt_id, part)
        );
        CREATE INDEX scan_parts_by_state ON scan_parts (state, receipt_id);
        """
    )


def m005_sync(conn: apsw.Connection) -> None:
    # Replication progress only, never data: what is pending is derived from the log and
    # the blob table, so nothing can be recorded without being queued for the city.
    conn.execute(
        """
        -- Highest seq of the node's own events the city has acknowledged (cumulative).
        CREATE TABLE sync_acked (
            origin TEXT PRIMARY KEY,
            upto_seq INTEGER NOT NULL,
            acked_at TEXT NOT NULL
        );
        -- Files the city holds: complete, or how far a transfer got.
        CREATE TABLE sync_blobs (
            sha256 TEXT PRIMARY KEY,
            acked_offset INTEGER NOT NULL,
            complete INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );
        -- The running sync process's view of the link, for 'motcua sync status'.
        CREATE TABLE sync_link (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """
    )


def m006_quarantined_files(conn: apsw.Connection) -> None:
    # The node's own record of what it quarantined. The <name>.reason.json files in a
    # quarantine folder are for staff who open the share; anyone who can write there can
    # place one, so the node lists and retries only what this table says. Files quarantined
    # before this migration are known from their 'quarantined' receipts.
    conn.execute(
        """
        CREATE TABLE quarantined_files (
            id TEXT PRIMARY KEY,             -- shown to staff; 20 hex digits
            receipt_id TEXT NOT NULL UNIQUE REFERENCES scan_receipts (id),
            path TEXT NOT NULL,              -- where the node put the file
            retried_at TEXT,                 -- put back into its drop folder (UTC); NULL: not
            retried_by TEXT,
            returned_to TEXT
        );
        CREATE INDEX quarantined_files_waiting ON quarantined_files (receipt_id)
            WHERE retried_at IS NULL;
        """
    )
    rows = conn.execute(
        "SELECT id, disposed_to FROM scan_receipts WHERE outcome = 'quarantined' "
        "AND disposed_to IS NOT NULL AND disposed_to != ''"
    ).fetchall()
    for receipt_id, path in rows:
        conn.execute(
            "INSERT INTO quarantined_files (id, receipt_id, path) VALUES (?, ?, ?)",
            (quarantine_item_id(str(receipt_id)), receipt_id, path),
        )


def quarantine_item_id(receipt_id: str) -> str:
    """The id staff use for a quarantined file: derived from its receipt, never reused."""
    return hashlib.sha256(f"quarantine\x00{receipt_id}".encode()).hexdigest()[:20]


def m007_same_day_unit(conn: apsw.Connection) -> None:
    # A new time unit, "same_day" (returned the same day; received at or after the
    # procedure's cutoff, the next working day), and that cutoff. SQLite cannot alter a
    # CHECK, so the table is rebuilt with its rows; the partial unique index goes with it.
    conn.execute(
        """
        CREATE TABLE procedures_new (
            code TEXT NOT NULL,
            version TEXT NOT NULL,
            name TEXT NOT NULL,
            field TEXT NOT NULL,
            time_limit INTEGER NOT NULL,
            time_unit TEXT NOT NULL CHECK (
                time_unit IN ('working_days', 'calendar_days', 'working_hours', 'same_day')
            ),
            online_level TEXT NOT NULL CHECK (online_level IN ('full', 'partial', 'none')),
            components TEXT NOT NULL,  -- JSON list of names
            sample INTEGER NOT NULL DEFAULT 0,
            current INTEGER NOT NULL DEFAULT 1,  -- the version new dossiers use
            updated_at TEXT NOT NULL,
            same_day_cutoff TEXT NOT NULL DEFAULT '15:00',  -- HH:MM, for "same_day"
            PRIMARY KEY (code, version)
        );
        INSERT INTO procedures_new (code, version, name, field, time_limit, time_unit,
                                    online_level, components, sample, current, updated_at)
            SELECT code, version, name, field, time_limit, time_unit, online_level,
                   components, sample, current, updated_at
            FROM procedures;
        DROP TABLE procedures;
        ALTER TABLE procedures_new RENAME TO procedures;
        CREATE UNIQUE INDEX procedures_one_current ON procedures (code) WHERE current = 1;
        """
    )


def m009_staff_list_indexes(conn: apsw.Connection) -> None:
    """The staff list's default order and its "provisional appointment" filter, indexed on
    the very expressions ``storage.dossier_rows`` writes (a scan of 50,000 state blobs took
    a third of a second). The order index also holds every column a list filter reads, so
    a filtered page walks the index in order without touching the state blobs."""
    conn.execute(
        f"""
        CREATE INDEX dossiers_by_list_order ON dossiers (
            {RECEIVED_ORDER_SQL}, code, id, status, received_at, due_at, finished_at,
            procedure_code, search_text
        );
        CREATE INDEX dossiers_by_exact_appointment ON dossiers ({EXACT_APPOINTMENT_SQL});
        """
    )


MIGRATIONS: list[tuple[str, Migration]] = [
    ("001_event_log", m001_event_log),
    ("002_reference_data", m002_reference_data),
    ("003_dossiers", m003_dossiers),
    ("004_ingest", m004_ingest),
    ("005_sync", m005_sync),
    ("006_quarantined_files", m006_quarantined_files),
    ("007_same_day_unit", m007_same_day_unit),
    ("008_accounts", m008_accounts),
    ("009_staff_list_indexes", m009_staff_list_indexes),
    ("010_indicator_facts", indicator_facts.create_table),
    ("011_user_node", m011_user_node),
]


def migrate(conn: apsw.Connection) -> list[str]:
    """Bring the node's database up to date; return the names applied now."""
    return apply_migrations(conn, MIGRATIONS)
