"""Staff accounts: add, list, change password, disable, enable, unlock, language.

Managing accounts needs the ``manage_accounts`` permission (the administrator; the command
line holds every role). Each change is one write transaction and one log line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import apsw
import msgspec

from accounts import passwords
from accounts.sites import NODE_SITE, AccountSite, check_site
from rules.actor import Actor, Role
from rules.clock import to_utc_iso, utc_now
from rules.errors import DossierError, NotFound
from rules.permissions import Operation, require
from storage.db import Database

log = logging.getLogger("motcua.accounts")

USER_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
LANGUAGES = ("vi", "en")
_FIELDS = (
    "id",
    "display_name",
    "roles",
    "language",
    "disabled",
    "failed_count",
    "locked_until",
    "created_at",
    "node_id",
)
_COLUMNS = ", ".join(_FIELDS)


def user_columns(alias: str) -> str:
    """The columns :func:`row_to_user` reads, of the ``users`` table named ``alias``."""
    return ", ".join(f"{alias}.{name}" for name in _FIELDS)


class User(msgspec.Struct, frozen=True):
    id: str
    display_name: str
    roles: list[Role]
    language: str
    disabled: bool
    failed_count: int
    locked_until: str | None
    created_at: str
    node_id: str | None = None  # a commune-viewer's one node (accounts.sites)

    def actor(self) -> Actor:
        return Actor(
            self.id, self.display_name or self.id, frozenset(self.roles), node_scope=self.node_id
        )

    def locked_at(self, now_iso: str) -> bool:
        return self.locked_until is not None and self.locked_until > now_iso


def normalise_name(name: str) -> str:
    return name.strip().lower()


def check_name(name: str, field: str = "user") -> str:
    user_id = normalise_name(name)
    if not USER_NAME_RE.match(user_id):
        raise DossierError(
            "a user name is 1-64 characters of a-z, 0-9, '.', '_' and '-', starting with a "
            "letter or digit (e.g. nguyenvana)",
            field,
        )
    return user_id


def parse_roles(names: Iterable[str], field: str = "role") -> list[Role]:
    roles: list[Role] = []
    for name in names:
        try:
            role = Role(name.strip())
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise DossierError(f"unknown role {name!r}; the roles are {known}", field) from None
        if role not in roles:
            roles.append(role)
    if not roles:
        raise DossierError("a user needs at least one role", field)
    return sorted(roles)


def _stored_roles(user_id: str, text: str) -> list[Role]:
    """The roles a row names. A name this version does not know (a hand-edited table, or a
    row written by a later version) grants nothing and is logged, rather than failing every
    request the account makes with a 500: an unknown role can only ever mean less access."""
    known = []
    for name in text.split():
        try:
            known.append(Role(name))
        except ValueError:
            log.warning("account_unknown_role user=%r role=%r: ignored", user_id, name)
    return known


def row_to_user(row: tuple[object, ...]) -> User:
    return User(
        id=str(row[0]),
        display_name=str(row[1]),
        roles=_stored_roles(str(row[0]), str(row[2])),
        language=str(row[3]),
        disabled=bool(row[4]),
        failed_count=int(row[5]),  # type: ignore[call-overload]
        locked_until=None if row[6] is None else str(row[6]),
        created_at=str(row[7]),
        node_id=None if row[8] is None else str(row[8]),
    )


def find(conn: apsw.Connection, user_id: str) -> User | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone()
    return None if row is None else row_to_user(row)


def _existing(conn: apsw.Connection, name: str) -> User:
    user = find(conn, normalise_name(name))
    if user is None:
        raise NotFound(f"no user named {name!r}")
    return user


def list_users(db: Database, actor: Actor) -> list[User]:
    require(actor, Operation.MANAGE_ACCOUNTS)
    rows = db.read().execute(f"SELECT {_COLUMNS} FROM users ORDER BY id").fetchall()
    return [row_to_user(r) for r in rows]


def add(
    db: Database,
    actor: Actor,
    name: str,
    roles: Iterable[str],
    password: str,
    display_name: str = "",
    language: str = "vi",
    *,
    site: AccountSite = NODE_SITE,
    node_id: str | None = None,
) -> User:
    """A new account at ``site`` (its roles; a commune-viewer's ``node_id``)."""
    require(actor, Operation.MANAGE_ACCOUNTS)
    check_name(name)
    roles = list(roles)
    check_site(site, parse_roles(roles), node_id)  # bad input is refused before the slow hash
    password_hash = passwords.hash_password(password)
    return add_hashed(
        db, actor, name, roles, password_hash, display_name, language, site=site, node_id=node_id
    )


def add_hashed(
    db: Database,
    actor: Actor,
    name: str,
    roles: Iterable[str],
    password_hash: str,
    display_name: str = "",
    language: str = "vi",
    *,
    site: AccountSite = NODE_SITE,
    node_id: str | None = None,
) -> User:
    """:func:`add` with the password already hashed (argon2id, by passwords.hash_password)."""
    require(actor, Operation.MANAGE_ACCOUNTS)
    user_id = check_name(name)
    role_list = parse_roles(roles)
    node = check_site(site, role_list, node_id)
    display = " ".join(display_name.split())
    if len(display) > 200:
        raise DossierError("the display name is longer than 200 characters", "display_name")
    if language not in LANGUAGES:
        raise DossierError("language must be vi or en", "language")
    now = to_utc_iso(utc_now())
    with db.write() as conn:
        if find(conn, user_id) is not None:
            raise DossierError(f"a user named {user_id!r} already exists", "user")
        conn.execute(
            "INSERT INTO users (id, display_name, roles, language, password_hash, created_at, "
            "updated_at, node_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (user_id, display, " ".join(role_list), language, password_hash, now, now, node),
        )
        user = _existing(conn, user_id)
    log.info(
        "user_added user=%r roles=%s node=%s by=%r",
        user_id,
        ",".join(role_list),
        node or "-",
        actor.user_id,
    )
    return user


def set_password(db: Database, actor: Actor, name: str, password: str) -> None:
    """A new password; the user's sessions end (whoever held one must log in again)."""
    require(actor, Operation.MANAGE_ACCOUNTS)
    password_hash = passwords.hash_password(password)
    with db.write() as conn:
        user = _existing(conn, name)
        conn.execute(
            "UPDATE users SET password_hash = ?, failed_count = 0, locked_until = NULL, "
            "updated_at = ? WHERE id = ?",
            (password_hash, to_utc_iso(utc_now()), user.id),
        )
        conn.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
    log.info("user_password_set user=%r by=%r", user.id, actor.user_id)


def set_disabled(db: Database, actor: Actor, name: str, disabled: bool) -> User:
    """Disable (its sessions end now, its tokens stop answering) or enable an account."""
    require(actor, Operation.MANAGE_ACCOUNTS)
    with db.write() as conn:
        user = _existing(conn, name)
        if disabled and user.id == actor.user_id:
            raise DossierError("you cannot disable your own account", "user")
        conn.execute(
            "UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?",
            (int(disabled), to_utc_iso(utc_now()), user.id),
        )
        if disabled:
            conn.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
        user = _existing(conn, user.id)
    log.info("user_%s user=%r by=%r", "disabled" if disabled else "enabled", user.id, actor.user_id)
    return user


def unlock(db: Database, actor: Actor, name: str) -> User:
    require(actor, Operation.MANAGE_ACCOUNTS)
    with db.write() as conn:
        user = _existing(conn, name)
        conn.execute(
            "UPDATE users SET failed_count = 0, locked_until = NULL, updated_at = ? WHERE id = ?",
            (to_utc_iso(utc_now()), user.id),
        )
        user = _existing(conn, user.id)
    log.info("user_unlocked user=%r by=%r", user.id, actor.user_id)
    return user


def set_language(db: Database, actor: Actor, language: str) -> None:
    """The actor's own page language (anyone may choose their own)."""
    if language not in LANGUAGES:
        raise DossierError("language must be vi or en", "lang")
    with db.write() as conn:
        conn.execute(
            "UPDATE users SET language = ?, updated_at = ? WHERE id = ?",
            (language, to_utc_iso(utc_now()), actor.user_id),
        )
