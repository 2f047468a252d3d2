"""``motcua central user ...`` and ``motcua central token ...``: the city's accounts, with
the node's account commands (cli.user_cmd, cli.token_cmd) over ``accounts.sqlite3``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cli.common import fail
from settings import city as config_mod
from settings.loading import ConfigError
from storage.db import Database, DatabaseError


@contextmanager
def city_accounts(data_dir: Path) -> Iterator[Database]:
    """The city's accounts database; an uninitialised or damaged data directory is exit 3."""
    from central.accounts_db import open_accounts

    try:
        config_mod.load(data_dir)  # a directory that is not a city's is refused, not filled
        db = open_accounts(data_dir)
    except (ConfigError, DatabaseError) as exc:
        fail(str(exc))
        raise  # unreachable: fail exits
    try:
        yield db
    finally:
        db.close()
