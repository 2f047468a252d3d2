"""The city's fixtures and logged-in clients for the tests in this folder."""

from tests.support.city_client import city_client  # noqa: F401
from tests.support.city_fixtures import (  # noqa: F401
    handler,
    runtime,
    sqlite_runtime,
    sqlite_store,
    store,
)
