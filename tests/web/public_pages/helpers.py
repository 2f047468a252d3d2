"""Dossiers for the public pages' tests, made through the node's API as staff make them."""

from __future__ import annotations

from typing import Any

from tests.node.helpers import Client, act, create

#: An applicant whose every personal detail is easy to look for in a page.
APPLICANT = {
    "full_name": "Nguyễn Văn An",
    "id_number": "001099012345",
    "phone": "0912345678",
    "address": "12 Đường Lúa, Xã An Bình",
}
PERSONAL = ("Nguyễn Văn An", "Nguyen Van An", "001099012345", "0912345678", "Đường Lúa")


def received(client: Client) -> dict[str, Any]:
    return create(client, applicant=dict(APPLICANT), proxy={"full_name": "Trần Thị Bình"})


def returned(client: Client) -> dict[str, Any]:
    """A dossier whose result was returned (status 10), with its code and PIN."""
    d = received(client)
    for action in ("start", "resolve", "return_result"):
        response = act(client, d["id"], action)
        assert response.status_code == 201, response.text
    return d
