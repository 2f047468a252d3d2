"""``motcua central user`` and ``motcua central token``: the city's accounts from the command
line, with the node's commands' behaviour and messages, the city's roles, and the node a
commune-viewer sees. Bad input is exit 2 naming the field, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from accounts import tokens, users
from central.accounts_db import open_accounts
from cli import cli
from cli.central_cmd import initialise
from settings import city as config_mod

PASSWORD_IN = "mot-mat-khau-dai\n"


@pytest.fixture
def city(tmp_path: Path) -> Path:
    data_dir = tmp_path / "city"
    initialise(data_dir, "mqtt://127.0.0.1:1883")
    return data_dir


def central(city: Path, *args: str, stdin: str = "") -> Result:
    return CliRunner().invoke(cli, ["central", *args, "--data-dir", str(city)], input=stdin)


def _accounts(city: Path) -> list[users.User]:
    db = open_accounts(city)
    try:
        rows = db.read().execute("SELECT id FROM users ORDER BY id").fetchall()
        return [u for (name,) in rows if (u := users.find(db.read(), str(name))) is not None]
    finally:
        db.close()


def test_city_accounts_and_tokens_from_the_command_line(city: Path) -> None:
    added = central(city, "user", "add", "ThanhPho", "--role", "admin", stdin=PASSWORD_IN)
    assert added.exit_code == 0, added.output
    assert "added thanhpho (admin)" in added.output
    scoped = central(
        city,
        "user",
        "add",
        "xem-an-binh",
        "--role",
        "commune-viewer",
        "--node",
        "xa-an-binh",
        "--name",
        "Cán bộ xã An Bình",
        "--password",
        "mot-mat-khau-dai",
    )
    assert scoped.exit_code == 0, scoped.output
    assert "added xem-an-binh (commune-viewer, node xa-an-binh)" in scoped.output
    assert (city / config_mod.ACCOUNTS_DATABASE_NAME).is_file()
    listed = central(city, "user", "list").output.splitlines()
    assert listed == [
        "thanhpho\tadmin\tvi\tactive\tThanhPho\t-",
        "xem-an-binh\tcommune-viewer\tvi\tactive\tCán bộ xã An Bình\txa-an-binh",
    ]
    (viewer,) = [u for u in _accounts(city) if u.id == "xem-an-binh"]
    assert viewer.actor().node_scope == "xa-an-binh"

    made = central(city, "token", "create", "xem-an-binh", "--name", "script")
    token = made.output.strip()
    assert made.exit_code == 0 and token.startswith(tokens.PREFIX) and "\n" not in token
    db = open_accounts(city)
    try:
        found = tokens.resolve(db, token)
        assert found is not None and found[0].actor().node_scope == "xa-an-binh"
    finally:
        db.close()
    token_id = central(city, "token", "list").output.split("\t")[0]
    assert central(city, "token", "revoke", token_id).output.strip() == f"revoked {token_id}"
    again = central(city, "token", "revoke", token_id)
    assert again.exit_code == 2 and "already revoked" in again.output

    changed = central(city, "user", "passwd", "thanhpho", "--password", "mat-khau-moi-dai")
    assert changed.output.strip() == "password of thanhpho changed"
    assert central(city, "user", "disable", "thanhpho").output.strip() == "disabled thanhpho"
    assert "\tdisabled\t" in central(city, "user", "list").output
    assert central(city, "user", "enable", "thanhpho").output.strip() == "enabled thanhpho"
    assert central(city, "user", "unlock", "thanhpho").output.strip() == "unlocked thanhpho"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("xem", "--role", "commune-viewer"),
            "a commune-viewer needs the node it may see (--node NODE_ID) (node)",
        ),
        (
            ("xem", "--role", "viewer", "--node", "xa-an-binh"),
            "only a commune-viewer account names a node; leave the node empty (node)",
        ),
        (
            ("xem", "--role", "commune-viewer", "--node", "Xã An Bình"),
            "is not a node id",
        ),
        (
            ("xem", "--role", "commune-viewer", "--role", "admin", "--node", "xa-an-binh"),
            "a commune-viewer sees one commune only: it holds no other role (role)",
        ),
        (("Không hợp lệ", "--role", "viewer"), "a user name is 1-64 characters"),
        (("xem", "--role", "viewer", "--password", "ngan"), "at least 10 characters"),
        (("xem", "--role", "reception"), "'reception' is not one of"),
    ],
)
def test_bad_input_is_exit_2_and_writes_nothing(
    city: Path, args: tuple[str, ...], message: str
) -> None:
    result = central(city, "user", "add", *args, stdin=PASSWORD_IN)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert _accounts(city) == []


def test_a_node_account_holds_no_city_role(node_dir: Path) -> None:
    """The node's command offers only the office's roles; the accounts code refuses a city
    role at a node whoever asks."""
    result = CliRunner().invoke(
        cli, ["user", "add", "xem", "--role", "viewer", "--data-dir", str(node_dir)]
    )
    assert result.exit_code == 2 and "'viewer' is not one of" in result.output
    assert "--node" not in CliRunner().invoke(cli, ["user", "add", "--help"]).output


def test_an_unknown_user_or_a_directory_that_is_no_city_is_refused(
    city: Path, tmp_path: Path
) -> None:
    unknown = central(city, "token", "create", "khong-ai")
    assert unknown.exit_code == 2 and "no user named 'khong-ai'" in unknown.output
    empty = tmp_path / "empty"
    result = CliRunner().invoke(cli, ["central", "user", "list", "--data-dir", str(empty)])
    assert result.exit_code == 3 and "motcua central init" in result.output
    assert not (empty / config_mod.ACCOUNTS_DATABASE_NAME).exists()
