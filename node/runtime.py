"""Everything a running node holds open: settings, database, blob store.

Built once per process by :func:`open_node`; the API, the CLI and ingest share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import apsw

from accounts.sites import NODE_SITE, AccountSite
from node.reference_cache import ReferenceCache
from node.schema import migrate
from settings import node as config_mod
from settings.auth import AuthSettings
from settings.loading import ConfigError
from storage import db as db_mod
from storage.blob_store import BlobStore
from storage.faults import StorageFaults

BLOBS_DIR = "blobs"


@dataclass
class NodeRuntime:
    data_dir: Path
    config: config_mod.Config
    db: db_mod.Database
    blobs: BlobStore
    reference: ReferenceCache
    # A full disk or a damaged database met by this process (storage.faults): the doors
    # report there, the status interface (web.health) reads it.
    faults: StorageFaults = field(init=False)

    def __post_init__(self) -> None:
        self.faults = StorageFaults(self.data_dir)

    @property
    def node_id(self) -> str:
        return self.config.node.node_id

    @property
    def accounts_db(self) -> db_mod.Database:
        """Staff accounts live in the node's own database (web.auth.home.AccountsHome)."""
        return self.db

    @property
    def auth_settings(self) -> AuthSettings:
        return self.config.auth

    @property
    def account_site(self) -> AccountSite:
        return NODE_SITE

    def close(self) -> None:
        self.db.close()


def open_node(data_dir: Path, *, check: bool = True) -> NodeRuntime:
    """Load the config, check and migrate the database, open the blob store.

    Raises ConfigError or DatabaseError with a message fit for the operator.
    """
    cfg = config_mod.load(data_dir)
    path = data_dir / config_mod.DATABASE_NAME
    if not path.exists():
        raise db_mod.DatabaseError(f"{path}: no database; run 'motcua init' first")
    conn = db_mod.connect(path)
    try:
        _prepare(conn, path, cfg, data_dir, check)
    except (apsw.CorruptError, apsw.NotADBError) as exc:
        raise db_mod.DatabaseError(
            f"{path}: the database file is damaged or not a database ({exc}); restore it from "
            "a backup ('motcua backup') or ask for help before anything else writes to it"
        ) from exc
    finally:
        conn.close()
    blobs = BlobStore(data_dir / BLOBS_DIR)
    blobs.clean_temporaries()
    return NodeRuntime(
        data_dir, cfg, db_mod.Database(path), blobs, ReferenceCache(cfg.office_periods())
    )


def _prepare(
    conn: apsw.Connection, path: Path, cfg: config_mod.Config, data_dir: Path, check: bool
) -> None:
    if check:
        db_mod.quick_check(conn, path)
    migrate(conn)
    owner = db_mod.scalar(conn, "SELECT value FROM node_identity WHERE key = 'node_id'")
    if owner is not None and owner != cfg.node.node_id:
        raise ConfigError(
            f"{data_dir / config_mod.CONFIG_NAME}: node.node_id is {cfg.node.node_id!r} but "
            f"this database belongs to node {owner!r}; a node's identity never changes"
        )
