"""What the log-in machinery needs from the process it guards: a node or the city.

Both keep their accounts, sessions and API tokens in an SQLite database of the ``accounts``
tables (the node in its own database, the city in ``accounts.sqlite3`` beside its store),
and both read the same ``[auth]`` settings table.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from accounts.sites import AccountSite
from settings.auth import AuthSettings
from storage.db import Database


@runtime_checkable  # Litestar checks an injected value against its declared type
class AccountsHome(Protocol):
    @property
    def accounts_db(self) -> Database: ...

    @property
    def auth_settings(self) -> AuthSettings: ...

    @property
    def account_site(self) -> AccountSite: ...  # which roles its accounts may hold
