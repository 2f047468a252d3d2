"""The log-in's slow-down (``accounts.login.Throttle``) and the lock-out's log line.

The throttle counts failures per name typed (it keeps no client address), the same for
names that exist and names that do not: the first ``FREE_FAILURES`` cost nothing, then the
answer waits 0.5 s, doubling to at most 4 s; a successful log-in of that name starts it
again. The lock-out after ``MAX_FAILURES`` comes on top, in the database.
"""

from __future__ import annotations

import logging
import time

import pytest
from litestar.testing import TestClient

from accounts import login
from node.runtime import NodeRuntime
from rules.actor import Role
from storage.db import scalar
from tests.support.accounts import PASSWORD, make_user
from tests.support.staff_client import log_in
from web.auth import login_pages
from web.node_api.app import create_app

WRONG = "sai-mat-khau-1"
DOCUMENTED = [0.0, 0.0, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]  # the module docstring's schedule


def test_the_delay_grows_with_each_failure_of_a_name_up_to_the_cap() -> None:
    throttle = login.Throttle()
    assert [throttle.failed("an") for _ in DOCUMENTED] == DOCUMENTED


def test_names_are_counted_apart_and_as_the_log_in_reads_them() -> None:
    throttle = login.Throttle()
    for _ in range(3):
        throttle.failed("an")
    assert throttle.failed("bo") == 0.0  # another account is not slowed down
    assert throttle.failed("  AN ") == 1.0  # the 4th failure of "an", however typed
    assert throttle.failed("khong-co-ai") == 0.0
    assert throttle.failed("khong-co-ai") == 0.0
    assert throttle.failed("khong-co-ai") == 0.5  # a name that exists nowhere: the same


def test_a_success_starts_the_count_again_for_that_name_only() -> None:
    throttle = login.Throttle()
    for _ in range(4):
        throttle.failed("an")
        throttle.failed("bo")
    throttle.succeeded("An")
    assert [throttle.failed("an") for _ in range(3)] == [0.0, 0.0, 0.5]
    assert throttle.failed("bo") == 2.0  # bo's 5th


def test_the_names_held_are_bounded_least_recently_failed_first() -> None:
    throttle = login.Throttle(max_names=2)
    for name in ("bo", "an", "an", "an", "bo", "bo", "cu"):
        throttle.failed(name)
    # Three failures each; "bo" came first but failed last, so "an" made room for "cu".
    assert throttle.failed("bo") == 1.0
    assert throttle.failed("an") == 0.0


class RecordingThrottle(login.Throttle):
    """The real throttle, remembering the delay it gave each failed log-in."""

    def __init__(self) -> None:
        super().__init__()
        self.given: list[tuple[str, float]] = []

    def failed(self, name: str) -> float:
        delay = super().failed(name)
        self.given.append((name, delay))
        return delay


@pytest.fixture
def throttle(monkeypatch: pytest.MonkeyPatch) -> RecordingThrottle:
    """A fresh throttle for the log-in page: none of another test's failures."""
    fresh = RecordingThrottle()
    monkeypatch.setattr(login_pages, "THROTTLE", fresh)
    return fresh


def test_the_log_in_page_waits_before_answering_a_failure_before_the_lock_out(
    runtime: NodeRuntime, throttle: RecordingThrottle
) -> None:
    make_user(runtime.db, "an", Role.RECEPTION)
    with TestClient(app=create_app(runtime)) as browser:

        def fail(name: str) -> float:
            started = time.monotonic()
            answer = browser.post("/login", data={"username": name, "password": WRONG})
            assert answer.status_code == 200 and "motcua_session" not in browser.cookies
            return time.monotonic() - started

        took = [fail("an") for _ in range(login.MAX_FAILURES - 1)]
        assert [d for _, d in throttle.given] == DOCUMENTED[: login.MAX_FAILURES - 1]
        for seconds, delay in zip(took, DOCUMENTED, strict=False):
            assert seconds >= delay, (took, DOCUMENTED)  # the answer really waited
        # Slowed down, not yet locked: the right password still opens the account ...
        assert scalar(runtime.db.read(), "SELECT locked_until FROM users WHERE id = 'an'") is None
        log_in(browser, "an")
        # ... and the success starts the slow-down and the lock-out count again.
        assert scalar(runtime.db.read(), "SELECT failed_count FROM users WHERE id = 'an'") == 0
        throttle.given.clear()
        browser.cookies.clear()
        fail("an")
        fail("khong-co-ai")
        assert throttle.given == [("an", 0.0), ("khong-co-ai", 0.0)]


def test_the_lock_out_is_logged_once_with_the_names_escaped(
    runtime: NodeRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    make_user(runtime.db, "an", Role.RECEPTION)
    caplog.set_level(logging.INFO, logger="motcua.accounts")
    for _ in range(login.MAX_FAILURES):
        assert login.authenticate(runtime.db, " An ", WRONG) is None
    assert login.authenticate(runtime.db, "an", PASSWORD) is None  # locked now
    forged = "x\nWARNING account_locked user='quantri' \x1b[2J"
    assert login.authenticate(runtime.db, forged, WRONG) is None

    locked = [r for r in caplog.records if r.getMessage().startswith("account_locked")]
    assert len(locked) == 1 and locked[0].levelno == logging.WARNING
    until = scalar(runtime.db.read(), "SELECT locked_until FROM users WHERE id = 'an'")
    assert locked[0].getMessage() == (
        f"account_locked user='an' until={until} failures={login.MAX_FAILURES}"
    )
    messages = [r.getMessage() for r in caplog.records]
    assert f"login_failed user='an' reason=locked until={until}" in messages
    # A typed name that carries a log line stays inside its own record, escaped.
    assert (
        "login_failed user=\"x\\nwarning account_locked user='quantri' \\x1b[2j\" reason=unknown"
    ) in messages
    assert not any("\n" in m or "\x1b" in m for m in messages)
