"""The city's fixtures (tests/support/city_fixtures.py) and logged-in clients
(tests/support/city_client.py) for the tests in this folder."""

from tests.support.city_client import city_client  # noqa: F401
from tests.support.city_fixtures import (  # noqa: F401
    api,
    handler,
    runtime,
    sqlite_handler,
    sqlite_runtime,
    sqlite_store,
    store,
)
