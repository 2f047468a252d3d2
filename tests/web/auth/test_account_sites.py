"""A node's accounts hold the office's roles only, never the city's, and name no node (the
column exists at the node, migration 011, and stays empty)."""

from __future__ import annotations

import pytest

from accounts import users
from accounts.sites import CITY_SITE, NODE_SITE
from cli.common import operator
from node.runtime import NodeRuntime
from rules.actor import Role
from rules.errors import DossierError
from tests.support.staff_client import StaffClientFactory, form_token


@pytest.mark.parametrize("role", ["viewer", "commune-viewer"])
def test_a_node_account_cannot_hold_a_city_role(runtime: NodeRuntime, role: str) -> None:
    with pytest.raises(DossierError, match="is not a role of an account at a commune node") as e:
        users.add(runtime.db, operator("t"), "xem", [role], "mot-mat-khau-dai", node_id="xa-a")
    assert e.value.field == "role"
    assert users.find(runtime.db.read(), "xem") is None


def test_a_city_account_cannot_hold_a_counter_role(runtime: NodeRuntime) -> None:
    with pytest.raises(DossierError, match="reception is not a role of an account at the city"):
        users.add(
            runtime.db, operator("t"), "tn", ["reception"], "mot-mat-khau-dai", site=CITY_SITE
        )


def test_node_accounts_name_no_node(runtime: NodeRuntime) -> None:
    with pytest.raises(DossierError, match="only a commune-viewer account names a node") as e:
        users.add(runtime.db, operator("t"), "tn", ["reception"], "mot-mat-khau-dai", node_id="x")
    assert e.value.field == "node"
    user = users.add(runtime.db, operator("t"), "tn", ["reception"], "mot-mat-khau-dai")
    assert user.node_id is None and user.actor().node_scope is None
    columns = [str(r[1]) for r in runtime.db.read().execute("PRAGMA table_info(users)")]
    assert "node_id" in columns
    assert NODE_SITE.roles.isdisjoint({Role.CITY_VIEWER, Role.COMMUNE_VIEWER})


def test_the_node_accounts_page_offers_the_office_roles_only(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    admin = staff_client(Role.ADMIN, user="quantri", csrf_header=False)
    html = admin.get("/admin/accounts").text
    assert 'value="reception"' in html and 'value="viewer"' not in html
    assert 'name="node_id"' not in html
    refused = admin.post(
        "/admin/accounts",
        data={
            "username": "xem",
            "roles": "viewer",
            "password": "mot-mat-khau-dai",
            "_csrf_token": form_token(html),
        },
    )
    assert refused.status_code == 400 and "viewer is not a role of an account" in refused.text
    assert users.find(runtime.db.read(), "xem") is None
