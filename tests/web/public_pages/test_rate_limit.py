"""The public pages' rate limit per client address: failures counted more strictly than
answers, a Vietnamese 429 page with ``Retry-After``, and the limit lifting as the window
slides (the limiter's clock is moved by hand: no test waits for time to pass)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from node.runtime import NodeRuntime
from settings.public_pages import LookupSettings
from tests.support.accounts import api_client
from tests.web.public_pages.conftest import ORIGIN, Client
from tests.web.public_pages.helpers import received
from web.node_api.app import create_app
from web.public_pages.rate_limit import ClientLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_are_limited_more_strictly_than_requests_and_the_window_slides() -> None:
    clock = Clock()
    limiter = ClientLimiter(
        LookupSettings(window_seconds=60, max_requests=5, max_failures=2), clock
    )
    limiter.record("10.0.0.1", failed=True)
    clock.now += 10
    assert limiter.retry_after("10.0.0.1") is None
    limiter.record("10.0.0.1", failed=True)
    assert limiter.retry_after("10.0.0.1") == 50  # the first failure leaves the window then
    assert limiter.retry_after("10.0.0.2") is None  # another address is not affected
    clock.now += 49
    assert limiter.retry_after("10.0.0.1") == 1
    clock.now += 1
    assert limiter.retry_after("10.0.0.1") is None  # reset: one failure left in the window
    for _ in range(3):
        limiter.record("10.0.0.1", failed=False)
    assert limiter.retry_after("10.0.0.1") is None  # 4 requests in the window
    limiter.record("10.0.0.1", failed=False)
    assert limiter.retry_after("10.0.0.1") == 10  # 5: the broader limit, until 1070
    clock.now += 61
    assert limiter.retry_after("10.0.0.1") is None


def test_the_limiter_forgets_the_longest_idle_address_past_its_bound() -> None:
    clock = Clock()
    limiter = ClientLimiter(LookupSettings(max_failures=1), clock, max_clients=2)
    for address in ("a", "b", "c"):
        limiter.record(address, failed=True)
    assert limiter.retry_after("a") is None  # forgotten: memory stays bounded
    assert limiter.retry_after("b") is not None and limiter.retry_after("c") is not None


@pytest.fixture
def strict_public(strict_node: NodeRuntime) -> Iterator[Client]:
    with TestClient(app=create_app(strict_node)) as client:
        yield client


def _too_many(response: Any) -> None:
    assert response.status_code == 429
    headers = response.headers
    assert int(headers["retry-after"]) > 0
    html = response.text
    assert "Quá nhiều lượt tra cứu" in html
    minutes = re.search(r"thử lại sau khoảng (\d+) phút", html)
    assert minutes is not None and int(minutes.group(1)) >= 1


def test_wrong_pins_reach_the_failure_limit_and_then_even_the_right_pin_waits(
    strict_node: NodeRuntime, strict_public: Client
) -> None:
    with api_client(strict_node, "tiepnhan") as staff:
        d = received(staff)
    for _ in range(3):
        assert strict_public.get(
            "/lookup", params={"code": d["code"], "pin": "000000"}
        ).status_code in (404,)
    blocked = strict_public.get("/lookup", params={"code": d["code"], "pin": d["lookup_pin"]})
    _too_many(blocked)
    assert "Đăng ký kết hôn" not in blocked.text
    # The rating page shares the limit: alternating pages gives a guesser nothing.
    rated = strict_public.post(
        "/rating",
        data={"code": d["code"], "pin": d["lookup_pin"], "level": "satisfied"},
        headers=ORIGIN,
    )
    _too_many(rated)
    # A limiter is per app (another process, or the app restarted): it starts afresh.
    with TestClient(app=create_app(strict_node)) as fresh:
        ok = fresh.get("/lookup", params={"code": d["code"], "pin": d["lookup_pin"]})
        assert ok.status_code == 200


def test_answers_count_against_the_broader_limit(
    strict_node: NodeRuntime, strict_public: Client
) -> None:
    with api_client(strict_node, "tiepnhan") as staff:
        d = received(staff)
    params = {"code": d["code"], "pin": d["lookup_pin"]}
    for _ in range(8):
        assert strict_public.get("/lookup", params=params).status_code == 200
    _too_many(strict_public.get("/lookup", params=params))
