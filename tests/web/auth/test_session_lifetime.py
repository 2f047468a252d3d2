"""How long a session lives: across a restart of a real ``motcua serve`` on the same data
directory, until the idle limit; and who deletes the expired ones (``sessions.end_expired``,
called at start-up and at each log-in)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import httpx
from litestar.testing import TestClient

from accounts import sessions
from cli.clock_skew import ENV
from node.runtime import NodeRuntime, open_node
from rules.actor import Role
from rules.clock import from_utc_iso, to_utc_iso, utc_now
from settings.node import DATABASE_NAME
from storage.db import Database, connect, scalar
from tests.support.accounts import PASSWORD, make_user
from tests.support.live_node import LiveNode, start_node
from tests.support.staff_client import form_token, log_in
from tests.support.wait import wait_until
from web.node_api.app import create_app

COOKIE = "motcua_session"


def _page(node: LiveNode, cookie: str) -> httpx.Response:
    return httpx.get(
        f"{node.url}/dossiers", cookies={COOKIE: cookie}, follow_redirects=False, timeout=30
    )


def _is_in(node: LiveNode, cookie: str) -> bool:
    response = _page(node, cookie)
    assert response.status_code in (200, 303), response.text
    if response.status_code == 303:
        assert response.headers["location"].startswith("/login"), response.headers
    return response.status_code == 200


def _session_rows(data_dir: Path) -> list[tuple[str, datetime]]:
    """(user, last use) of each stored session, read beside the running server."""
    conn = connect(data_dir / DATABASE_NAME, readonly=True)
    try:
        rows = conn.execute("SELECT user_id, last_seen_at FROM sessions").fetchall()
        return [(str(user), from_utc_iso(str(seen))) for user, seen in rows]
    finally:
        conn.close()


def test_a_session_survives_a_restart_then_the_idle_limit_ends_it(
    node_dir: Path, tmp_path: Path
) -> None:
    rt = open_node(node_dir)
    try:
        make_user(rt.db, "an", Role.RECEPTION)
        auth = rt.config.auth
    finally:
        rt.close()
    idle = timedelta(minutes=auth.session_idle_minutes)
    assert 3 * idle < timedelta(hours=auth.session_max_hours)  # idle ends it, not the maximum
    skew = tmp_path / "skew"  # how far the node's wall clock runs ahead (cli/clock_skew.py)
    skew.write_text("0")
    env = {ENV: str(skew)}

    node = start_node(node_dir, env=env)
    try:
        logged = httpx.post(
            f"{node.url}/login",
            data={"username": "an", "password": PASSWORD},
            follow_redirects=False,
            timeout=30,
        )
        assert logged.status_code == 303, logged.text
        cookie = logged.cookies[COOKIE]
        token = form_token(_page(node, cookie).text)
        assert token
    finally:
        node.stop()
    [(user, logged_at)] = _session_rows(node_dir)
    assert user == "an"

    def used_on_a_clock_ahead_by(ahead: timedelta) -> None:
        """The node's clock moves ``ahead`` of the real one; a request is let in then and
        renews the session's last use (the clock file is read again within 50 ms)."""
        skew.write_text(str(ahead.total_seconds()))
        wait_until(
            lambda: (
                _is_in(node, cookie)
                and _session_rows(node_dir)[0][1] >= logged_at + ahead - timedelta(minutes=1)
            ),
            interval=0.1,
            what=f"a request on the clock {ahead} ahead to renew the session",
        )

    node = start_node(node_dir, env=env)
    try:
        assert _is_in(node, cookie)  # the same cookie, a new process
        changed = httpx.post(  # and the same CSRF token: the whole session came back
            f"{node.url}/account/language",
            data={"lang": "en", "_csrf_token": token},
            cookies={COOKIE: cookie},
            follow_redirects=False,
        )
        assert changed.status_code == 303, changed.text
        assert 'lang="en"' in _page(node, cookie).text

        # Used a little before each idle period runs out, it goes on past two of them ...
        margin = timedelta(minutes=10)
        used_on_a_clock_ahead_by(idle - margin)
        used_on_a_clock_ahead_by(2 * (idle - margin))
        # ... and a whole idle period after the last use it is over, pages and API alike.
        skew.write_text(str((2 * (idle - margin) + idle + timedelta(minutes=1)).total_seconds()))
        wait_until(lambda: not _is_in(node, cookie), what="the idle limit to end the session")
        api = httpx.get(f"{node.url}/api/v1/dossiers", cookies={COOKIE: cookie})
        assert api.status_code == 401
    finally:
        node.stop()
    assert len(_session_rows(node_dir)) == 1  # refused when used, deleted ...

    node = start_node(node_dir, env=env)
    try:
        assert _session_rows(node_dir) == []  # ... by the next start-up
        assert not _is_in(node, cookie)
    finally:
        node.stop()


def _age(db: Database, session_id: str, **ages: timedelta) -> None:
    """Move a session's stored times back by ``ages`` (created_at, last_seen_at)."""
    now = utc_now()
    with db.write() as conn:
        for column, age in ages.items():
            conn.execute(
                f"UPDATE sessions SET {column} = ? WHERE id_hash = ?",
                (to_utc_iso(now - age), sessions.digest(session_id)),
            )


def _limits(rt: NodeRuntime) -> sessions.Limits:
    """The node's own ``[auth]`` limits (settings/auth.py)."""
    auth = rt.config.auth
    return sessions.Limits(
        timedelta(minutes=auth.session_idle_minutes), timedelta(hours=auth.session_max_hours)
    )


def _stored(db: Database) -> set[str]:
    return {str(r[0]) for r in db.read().execute("SELECT id_hash FROM sessions")}


def test_end_expired_deletes_the_expired_sessions_and_only_them(runtime: NodeRuntime) -> None:
    make_user(runtime.db, "an", Role.RECEPTION)
    make_user(runtime.db, "bo", Role.PROCESSING)
    made = {
        name: sessions.create(runtime.db, user)[0]
        for name, user in [("fresh", "an"), ("idle", "an"), ("old", "bo"), ("inside", "bo")]
    }
    limits = sessions.Limits(timedelta(minutes=30), timedelta(hours=8))
    second, minute = timedelta(seconds=1), timedelta(minutes=1)
    _age(
        runtime.db, made["idle"], created_at=limits.idle + second, last_seen_at=limits.idle + second
    )
    _age(runtime.db, made["old"], created_at=limits.absolute + second)  # in use, but too old
    _age(
        runtime.db,
        made["inside"],
        created_at=limits.absolute - minute,
        last_seen_at=limits.idle - minute,
    )

    assert sessions.end_expired(runtime.db, limits) == 2
    assert _stored(runtime.db) == {sessions.digest(made["fresh"]), sessions.digest(made["inside"])}
    for kept in ("fresh", "inside"):
        assert sessions.resolve(runtime.db, made[kept], limits) is not None
    assert sessions.end_expired(runtime.db, limits) == 0  # nothing more to delete


def test_each_log_in_deletes_the_expired_sessions_of_every_account(
    runtime: NodeRuntime,
) -> None:
    make_user(runtime.db, "an", Role.RECEPTION)
    make_user(runtime.db, "bo", Role.PROCESSING)
    with TestClient(app=create_app(runtime)) as browser:  # started: nothing to expire yet
        idle, live = sessions.create(runtime.db, "bo")[0], sessions.create(runtime.db, "bo")[0]
        _age(runtime.db, idle, last_seen_at=_limits(runtime).idle + timedelta(seconds=1))
        log_in(browser, "an")
    assert sessions.digest(idle) not in _stored(runtime.db)
    assert sessions.digest(live) in _stored(runtime.db)
    assert scalar(runtime.db.read(), "SELECT COUNT(*) FROM sessions WHERE user_id = 'an'") == 1


def test_the_app_deletes_the_expired_sessions_when_it_starts(runtime: NodeRuntime) -> None:
    make_user(runtime.db, "an", Role.RECEPTION)
    old, live = sessions.create(runtime.db, "an")[0], sessions.create(runtime.db, "an")[0]
    _age(runtime.db, old, created_at=_limits(runtime).absolute + timedelta(seconds=1))
    app = create_app(runtime)
    assert sessions.digest(old) in _stored(runtime.db)  # building the app deletes nothing
    with TestClient(app=app) as browser:
        assert _stored(runtime.db) == {sessions.digest(live)}
        browser.cookies.set(COOKIE, live)
        assert browser.get("/dossiers", follow_redirects=False).status_code == 200
