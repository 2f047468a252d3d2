"""A burst of failed accept() calls is one episode in the log, with its count."""

from __future__ import annotations

import asyncio
import errno
import logging

import pytest

from web.json_api.connections import Episodes, install_accept_error_handler


def test_failed_accepts_are_logged_once_with_a_count(caplog: pytest.LogCaptureFixture) -> None:
    async def burst() -> None:
        loop = asyncio.get_running_loop()
        episodes = Episodes()
        episodes.accept_failed.quiet_seconds = 0.05
        install_accept_error_handler(loop, episodes)
        for _ in range(1000):
            loop.call_exception_handler(
                {
                    "message": "socket.accept() out of system resource",
                    "exception": OSError(errno.EMFILE, "Too many open files"),
                }
            )
        while "http_accept_failed_end" not in caplog.text:
            await asyncio.sleep(0.02)
        # Anything else still goes to the default handler.
        loop.call_exception_handler({"message": "something else", "exception": ValueError("x")})

    with caplog.at_level(logging.WARNING):
        asyncio.run(asyncio.wait_for(burst(), timeout=10))
    assert caplog.text.count("http_accept_failed_begin errno=EMFILE") == 1
    assert "http_accept_failed_end count=1000" in caplog.text
    assert "something else" in caplog.text
    assert "Too many open files" not in caplog.text  # no traceback per event
