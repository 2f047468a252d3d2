"""The demo's accounts: the node's staff (one per role) and the city's (its administrator
and a viewer), a shared demo password, and an API token at each site.

For a first look on 127.0.0.1 only: the password is printed and the same for everyone.
"""

from __future__ import annotations

from pathlib import Path

from accounts import tokens, users
from accounts.sites import CITY_SITE
from cli.common import operator
from node.runtime import NodeRuntime
from rules.actor import STAFF_ROLES, Role
from storage.atomic_file import write_atomic
from storage.db import Database

DEMO_PASSWORD = "motcua-demo"
TOKEN_FILE = "demo-api-token.txt"
CITY_TOKEN_FILE = "demo-city-api-token.txt"
# (log-in, display name, roles)
DEMO_USERS = [
    ("tiepnhan", "Nguyễn Thị Tiếp Nhận", [Role.RECEPTION]),
    ("chuyenvien", "Trần Văn Chuyên Viên", [Role.PROCESSING]),
    ("lanhdao", "Lê Văn Lãnh Đạo", [Role.LEADER]),
    ("quantri", "Phạm Quản Trị", [Role.ADMIN]),
    ("motcua", "Cán bộ một cửa (mọi vai trò)", sorted(STAFF_ROLES)),
]
# The city's: (log-in, display name, role); the token is the administrator's.
CITY_ADMIN = "thanhpho"
DEMO_CITY_USERS = [
    (CITY_ADMIN, "Quản trị Sở (thành phố)", Role.ADMIN),
    ("xemthanhpho", "Cán bộ theo dõi (mọi xã)", Role.CITY_VIEWER),
]


def create_demo_accounts(rt: NodeRuntime, data_dir: Path) -> None:
    """The accounts, and a token of ``motcua`` (every role) kept in ``data_dir``."""
    cli = operator("motcua-demo")
    for name, display, roles in DEMO_USERS:
        users.add(rt.db, cli, name, roles, DEMO_PASSWORD, display)
    token = tokens.create(rt.db, cli, "motcua", "demo")[1]
    write_atomic(data_dir / TOKEN_FILE, token.encode() + b"\n", 0o600)


def create_city_demo_accounts(accounts_db: Database, data_dir: Path) -> None:
    """The city's accounts, and a token of its administrator kept in ``data_dir``."""
    cli = operator("motcua-demo")
    for name, display, role in DEMO_CITY_USERS:
        users.add(accounts_db, cli, name, [role], DEMO_PASSWORD, display, site=CITY_SITE)
    token = tokens.create(accounts_db, cli, CITY_ADMIN, "demo")[1]
    write_atomic(data_dir / CITY_TOKEN_FILE, token.encode() + b"\n", 0o600)


def describe_city(data_dir: Path) -> list[str]:
    token_file = data_dir / CITY_TOKEN_FILE
    token = token_file.read_text().strip() if token_file.exists() else "(none)"
    names = ", ".join(f"{name} ({role.value})" for name, _, role in DEMO_CITY_USERS)
    return [
        f"city: log in as {names} with the password {DEMO_PASSWORD!r}",
        f"city API token of {CITY_ADMIN!r}: {token}",
    ]


def describe(data_dir: Path) -> list[str]:
    token_file = data_dir / TOKEN_FILE
    token = token_file.read_text().strip() if token_file.exists() else "(none)"
    names = ", ".join(name for name, _, _ in DEMO_USERS)
    return [
        f"log in as {names} with the password {DEMO_PASSWORD!r}",
        f"API token of 'motcua' (every role): {token}",
    ]
