"""``motcua user`` and ``motcua token``: the accounts from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from litestar.testing import TestClient

from accounts import login, tokens
from node.runtime import open_node
from rules.actor import Role
from tests.support.accounts import PASSWORD, make_user
from web.node_api.app import create_app

COOKIE = "motcua_session"


def motcua(node_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args, "--data-dir", str(node_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_accounts_and_tokens_from_the_command_line(node_dir: Path) -> None:
    added = motcua(
        node_dir,
        "user",
        "add",
        "NguyenVanA",
        "--role",
        "reception",
        "--role",
        "processing",
        "--name",
        "Nguyễn Văn A",
        stdin="mot-mat-khau-dai\n",
    )
    assert added.returncode == 0, added.stderr
    assert "added nguyenvana (processing, reception)" in added.stdout
    listed = motcua(node_dir, "user", "list")
    assert "nguyenvana\tprocessing,reception\tvi\tactive\tNguyễn Văn A" in listed.stdout
    assert logs_in(node_dir, "nguyenvana", "mot-mat-khau-dai")  # the line read from stdin

    made = motcua(node_dir, "token", "create", "nguyenvana", "--name", "script")
    token = made.stdout.strip()
    assert made.returncode == 0 and token.startswith(tokens.PREFIX) and "\n" not in token
    rt = open_node(node_dir)
    try:
        stored = [str(r[0]) for r in rt.db.read().execute("SELECT token_hash FROM api_tokens")]
        assert token not in stored and len(stored) == 1  # only its hash is kept
        assert tokens.resolve(rt.db, token) is not None
        token_id = motcua(node_dir, "token", "list").stdout.split("\t")[0]
        assert motcua(node_dir, "token", "revoke", token_id).returncode == 0
        assert tokens.resolve(rt.db, token) is None
    finally:
        rt.close()
    assert motcua(node_dir, "user", "disable", "nguyenvana").returncode == 0
    assert "\tdisabled\t" in motcua(node_dir, "user", "list").stdout
    assert motcua(node_dir, "user", "enable", "nguyenvana").returncode == 0
    assert motcua(node_dir, "user", "unlock", "nguyenvana").returncode == 0
    changed = motcua(node_dir, "user", "passwd", "nguyenvana", stdin="mat-khau-moi-123\n")
    assert changed.returncode == 0, changed.stderr


def logs_in(node_dir: Path, user: str, password: str) -> bool:
    """Whether ``POST /login`` of the node's app lets ``user`` in with ``password``."""
    rt = open_node(node_dir)
    try:
        with TestClient(app=create_app(rt)) as browser:
            answer = browser.post(
                "/login", data={"username": user, "password": password}, follow_redirects=False
            )
            return answer.status_code == 303 and COOKIE in browser.cookies
    finally:
        rt.close()


def test_passwd_lets_the_new_password_in_and_ends_the_old_one_and_its_sessions(
    node_dir: Path,
) -> None:
    old, new = "mat-khau-cu-dai", "mat-khau-moi-dai"
    added = motcua(node_dir, "user", "add", "an", "--role", "reception", "--password", old)
    assert added.returncode == 0, added.stderr
    rt = open_node(node_dir)
    try:
        with TestClient(app=create_app(rt)) as browser:
            opened = browser.post("/login", data={"username": "an", "password": old})
            assert opened.status_code == 200 and COOKIE in browser.cookies  # --password works

            short = motcua(node_dir, "user", "passwd", "an", stdin="ngan\n")
            assert short.returncode == 2 and "at least 10 characters" in short.stderr
            assert browser.get("/dossiers", follow_redirects=False).status_code == 200

            changed = motcua(node_dir, "user", "passwd", "An", stdin=new + "\n")
            assert changed.returncode == 0, changed.stderr
            assert changed.stdout.strip() == "password of an changed"
            ended = browser.get("/dossiers", follow_redirects=False)
            assert ended.status_code == 303 and ended.headers["location"].startswith("/login")
    finally:
        rt.close()
    assert not logs_in(node_dir, "an", old)
    assert logs_in(node_dir, "an", new)
    unknown = motcua(node_dir, "user", "passwd", "nobody", "--password", new)
    assert unknown.returncode == 2 and "no user named" in unknown.stderr


def test_unlock_lets_an_account_locked_by_failures_in_again(node_dir: Path) -> None:
    rt = open_node(node_dir)
    try:
        make_user(rt.db, "an", Role.RECEPTION)
        for _ in range(login.MAX_FAILURES):  # what the log-in page does on each failure
            assert login.authenticate(rt.db, "an", "sai-mat-khau-1") is None
    finally:
        rt.close()
    assert "\tlocked until " in motcua(node_dir, "user", "list").stdout
    assert not logs_in(node_dir, "an", PASSWORD)  # the right password, but locked

    unlocked = motcua(node_dir, "user", "unlock", "an")
    assert unlocked.returncode == 0 and unlocked.stdout.strip() == "unlocked an"
    assert "an\treception\tvi\tactive\t" in motcua(node_dir, "user", "list").stdout
    assert logs_in(node_dir, "an", PASSWORD)


def test_bad_input_is_exit_2_and_writes_nothing(node_dir: Path) -> None:
    short = motcua(node_dir, "user", "add", "an", "--role", "admin", stdin="ngan\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    bad_name = motcua(node_dir, "user", "add", "../x", "--role", "admin", "--password", "x" * 12)
    assert bad_name.returncode == 2 and "user name" in bad_name.stderr
    bad_role = motcua(node_dir, "user", "add", "an", "--role", "boss", "--password", "x" * 12)
    assert bad_role.returncode == 2
    assert motcua(node_dir, "user", "list").stdout == ""
    unknown = motcua(node_dir, "user", "disable", "nobody")
    assert unknown.returncode == 2 and "no user named" in unknown.stderr
    assert motcua(node_dir, "token", "create", "nobody").returncode == 2
