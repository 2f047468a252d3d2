"""The pages refuse what the role may not do, like the API: a reception officer cannot take
a leader's or a processing officer's step from the dossier page, import a catalog or a
calendar, or manage accounts; an administrator cannot receive a dossier or upload to one.
Each refusal is a 403 and writes nothing."""

from __future__ import annotations

from node.runtime import NodeRuntime
from rules.actor import Role
from storage.db import scalar
from tests.node.helpers import create, create_body
from tests.support.accounts import api_client
from tests.support.staff_client import StaffClientFactory

TABLES = ("events", "dossiers", "documents", "users", "api_tokens", "procedures")
CATALOG = (
    b'[[procedure]]\ncode = "9.999999"\nversion = "1"\nname = "Thu tuc"\nfield = "Thu"\n'
    b'time_limit = 3\ntime_unit = "working_days"\nonline_level = "none"\ncomponents = ["Don"]\n'
)


def snapshot(rt: NodeRuntime) -> dict[str, object]:
    conn = rt.db.read()
    return {t: scalar(conn, f"SELECT COUNT(*) FROM {t}") for t in TABLES}


def test_each_role_is_refused_on_the_pages_what_it_may_not_do(
    runtime: NodeRuntime, staff_client: StaffClientFactory
) -> None:
    with api_client(runtime, "tatca") as script:
        dossier_id = create(script)["id"]
        assert (
            script.post(
                f"/api/v1/dossiers/{dossier_id}/transitions", json={"action": "start"}
            ).status_code
            == 201
        )
    reception = staff_client(Role.RECEPTION, user="tiepnhan")
    admin = staff_client(Role.ADMIN, user="quantri")
    processing = staff_client(Role.PROCESSING, user="chuyenvien")
    before = snapshot(runtime)
    for action in ("resolve", "refuse", "stop", "request_fee", "reschedule", "no-such-step"):
        refused = reception.post(
            f"/dossiers/{dossier_id}/actions", data={"action": action, "note": "x"}
        )
        assert refused.status_code == 403, (action, refused.status_code)
    for kind in ("catalog", "calendar"):
        for client in (reception, processing):
            tried = client.post(
                f"/admin/import/{kind}", files={"file": ("c.toml", CATALOG, "application/toml")}
            )
            assert tried.status_code == 403, (kind, tried.status_code)
    assert processing.get("/admin/accounts").status_code == 403
    assert admin.post("/dossiers/new", data=_reception_form()).status_code == 403
    assert processing.post("/dossiers/new", data=_reception_form()).status_code == 403
    upload = admin.post(
        f"/dossiers/{dossier_id}/documents",
        files={"file": ("a.pdf", b"%PDF-1.4 x", "application/pdf")},
    )
    assert upload.status_code == 403, upload.status_code
    assert snapshot(runtime) == before


def _reception_form() -> dict[str, str]:
    body = create_body()
    return {
        "procedure_code": body["procedure_code"],
        "channel": "in_person",
        "applicant.full_name": body["applicant"]["full_name"],
    }
