"""The catalog and calendar push page, on both stores: the administrator pushes a file to
chosen communes or to all; what it refuses is in test_dossier_refusals.py."""

from __future__ import annotations

import pytest

from central.runtime import CentralRuntime
from rules.actor import Role
from tests.support.city_client import CityClientFactory
from tests.web.city_pages.city_seed import AN_BINH, CALENDAR, CATALOG, HOA_BINH, Seeded, seed


@pytest.fixture
def seeded(runtime: CentralRuntime) -> Seeded:
    return seed(runtime)


def pushed(runtime: CentralRuntime, node: str) -> list[str]:
    return [r.kind for r in runtime.store.down_events(node, 0, 100)]


def test_the_administrator_pushes_a_calendar_to_chosen_communes(
    city_client: CityClientFactory, seeded: Seeded, runtime: CentralRuntime
) -> None:
    admin = city_client(Role.ADMIN)
    form = admin.get("/reference")
    assert form.status_code == 200 and f'value="{HOA_BINH}"' in form.text
    assert form.headers["content-type"].startswith("text/html")
    done = admin.post(
        "/reference",
        data={"kind": "calendar", "node": AN_BINH},
        files={"file": ("tet.toml", CALENDAR, "application/toml")},
    )
    assert done.status_code == 200, done.text
    assert "Đã gửi" in done.text
    assert pushed(runtime, AN_BINH) == ["calendar_day_set"] and pushed(runtime, HOA_BINH) == []
    assert f"<td>{AN_BINH}</td><td>1</td>" in done.text
    again = admin.post(
        "/reference",
        data={"kind": "catalog", "all": "1"},
        files={"file": ("catalog.toml", CATALOG, "application/toml")},
    )
    assert again.status_code == 200, again.text
    assert pushed(runtime, HOA_BINH) == ["procedure_upserted"]
    assert pushed(runtime, AN_BINH) == ["calendar_day_set", "procedure_upserted"]
