"""Everything a running city process holds open: settings, the store, files, the handler."""

from __future__ import annotations

import queue
from dataclasses import dataclass, field
from pathlib import Path

from accounts.sites import CITY_SITE, AccountSite
from central.accounts_db import open_accounts
from central.blob_receiver import BlobReceiver
from central.message_handler import MessageHandler
from central.store import CentralStore
from settings import city as config_mod
from settings.auth import AuthSettings
from storage.db import Database


def open_store(config: config_mod.CentralConfig, data_dir: Path) -> CentralStore:
    """The configured store (not migrated): PostgreSQL if ``store.url`` is set, else SQLite."""
    if config.store.url:
        from central.postgres_store import PostgresCentralStore

        return PostgresCentralStore(config.store.url)
    from central.sqlite_store import SqliteCentralStore

    return SqliteCentralStore(data_dir / config_mod.DATABASE_NAME)


@dataclass
class CentralRuntime:
    data_dir: Path
    config: config_mod.CentralConfig
    store: CentralStore
    blobs: BlobReceiver
    handler: MessageHandler
    #: Accounts, sessions and API tokens (central.accounts_db): the runtime is the log-in
    #: door's web.auth.home.AccountsHome.
    accounts_db: Database
    #: Node ids with new city events, for the receiver to send at once (same process).
    pending_down: queue.SimpleQueue[str] = field(default_factory=queue.SimpleQueue)

    @property
    def name(self) -> str:
        return self.config.central.name

    @property
    def auth_settings(self) -> AuthSettings:
        return self.config.auth

    @property
    def account_site(self) -> AccountSite:
        return CITY_SITE

    def notify_down(self, node_id: str) -> None:
        """New city events for ``node_id``; other processes see them at the next resend tick."""
        self.pending_down.put(node_id)

    def close(self) -> None:
        self.store.close()
        self.accounts_db.close()


def open_central(data_dir: Path) -> CentralRuntime:
    """Load the config, open and migrate the store, prepare the blob directory.

    Raises ConfigError (bad config), StoreError (store unreachable or damaged) or
    DatabaseError (the accounts database damaged).
    """
    config = config_mod.load(data_dir)
    store = open_store(config, data_dir)
    try:
        store.migrate()
        blobs = BlobReceiver(data_dir / config_mod.BLOBS_DIR, store, config.receiver.max_file_bytes)
        accounts_db = open_accounts(data_dir)
    except BaseException:
        store.close()
        raise
    handler = MessageHandler(
        store,
        blobs,
        down_batch_events=config.receiver.down_batch_events,
        resend_seconds=config.receiver.resend_seconds,
    )
    return CentralRuntime(data_dir, config, store, blobs, handler, accounts_db)
