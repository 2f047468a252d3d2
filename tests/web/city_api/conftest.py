"""The city's fixtures (tests/support/city_fixtures.py) for the tests in this folder."""

from tests.support.city_fixtures import (  # noqa: F401
    api,
    handler,
    runtime,
    sqlite_handler,
    sqlite_store,
    store,
)
