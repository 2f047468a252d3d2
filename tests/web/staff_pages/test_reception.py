"""The reception page: choose a procedure, see the appointment, save; every refusal says
what and where in Vietnamese, keeps what was typed, and writes nothing."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from cli.common import operator
from node import dossier_service
from node.appointments import preview_due
from node.runtime import NodeRuntime
from rules.actor import Role
from rules.clock import utc_now
from rules.errors import DossierError
from tests.node.helpers import PROCEDURE, counts
from tests.support.clock import office_time
from tests.support.staff_client import StaffClientFactory, form_token
from web.page_kit.rendering import local_datetime

HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _form(client: Any, **fields: Any) -> dict[str, Any]:
    token = form_token(client.get("/dossiers/new").text)
    body: dict[str, Any] = {
        "_csrf_token": token,
        "procedure_code": PROCEDURE,
        "channel": "in_person",
        "applicant.full_name": "Nguyễn Văn Đức",
        "applicant.phone": "0912345678",
        "components": ["Tờ khai đăng ký kết hôn theo mẫu"],
        "intent": "save",
    }
    body.update(fields)
    return body


def test_the_form_offers_procedures_fields_and_the_csrf_token(
    staff_client: StaffClientFactory,
) -> None:
    client = staff_client(Role.RECEPTION)
    page = client.get("/dossiers/new")
    assert page.status_code == 200
    assert "Tiếp nhận hồ sơ" in page.text and PROCEDURE in page.text
    assert 'name="applicant.full_name"' in page.text and 'name="proxy.full_name"' in page.text
    assert 'name="_csrf_token"' in page.text
    assert 'hx-get="/dossiers/new/procedures"' in page.text  # htmx suggestions


def test_procedure_suggestions_ignore_accents(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION)
    found = client.get("/dossiers/new/procedures", params={"procedure_q": "dang ky ket hon"})
    assert found.status_code == 200 and PROCEDURE in found.text
    assert "<html" not in found.text  # a fragment, not a page
    none = client.get("/dossiers/new/procedures", params={"procedure_q": "khong co thu tuc nay"})
    assert "Không tìm thấy thủ tục nào." in none.text


def test_the_appointment_is_shown_before_saving(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    # At 10:00 office time the page's moment and the test's fall on the same side of
    # closing time and of midnight, which move the appointment a day.
    with office_time(time(10, 0)):
        client = staff_client(Role.RECEPTION)
        details = client.get("/dossiers/new/details", params={"procedure_code": PROCEDURE})
        expected = preview_due(runtime, PROCEDURE, "in_person", utc_now()).appointment.due_at
    assert details.status_code == 200
    assert f"<strong>{local_datetime(expected)}</strong>" in details.text
    assert "Tờ khai đăng ký kết hôn theo mẫu" in details.text  # the checklist
    online = client.get(
        "/dossiers/new/details", params={"procedure_code": PROCEDURE, "channel": "online"}
    )
    assert "ngày hẹn được tính khi tiếp nhận" in online.text
    unknown = client.get("/dossiers/new/details", params={"procedure_code": "9.999999"})
    assert "Chọn một thủ tục có trong danh mục." in unknown.text


def test_the_plain_form_search_keeps_what_was_typed_and_saves_nothing(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    client = staff_client(Role.RECEPTION)
    before = counts(runtime)
    page = client.post(
        "/dossiers/new",
        data=_form(client, intent="search", procedure_q="ket hon", procedure_code=""),
    )
    assert page.status_code == 200 and PROCEDURE in page.text
    assert 'value="Nguyễn Văn Đức"' in page.text
    assert counts(runtime) == before


def test_saving_receives_and_leads_to_the_dossier_with_the_receipt(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    client = staff_client(Role.RECEPTION)
    saved = client.post(
        "/dossiers/new",
        data=_form(client, **{"proxy.full_name": "Trần Thị Bình", "proxy.phone": "0987"}),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    dossier_id = saved.headers["location"].split("/")[2].split("?")[0]
    assert saved.headers["location"] == f"/dossiers/{dossier_id}?received=1"
    state, _ = dossier_service.get(runtime, dossier_id, operator("test"))
    assert state.applicant.full_name == "Nguyễn Văn Đức"
    assert state.proxy is not None and state.proxy.full_name == "Trần Thị Bình"
    assert state.components == ["Tờ khai đăng ký kết hôn theo mẫu"]
    page = client.get(saved.headers["location"])
    assert "Đã tiếp nhận hồ sơ" in page.text
    assert f'src="/dossiers/{dossier_id}/forms/01"' in page.text  # the receipt, opened


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"procedure_code": "9.999999"}, "procedure_code", "Chọn một thủ tục có trong danh mục."),
        ({"procedure_code": ""}, "procedure_code", "Chọn một thủ tục có trong danh mục."),
        ({"applicant.full_name": "   "}, "applicant.full_name", "Nhập họ và tên người nộp hồ sơ."),
        ({"applicant.phone": "abc"}, "applicant.phone", "Số điện thoại chỉ gồm chữ số"),
        ({"applicant.id_number": "12-34"}, "applicant.id_number", "Số giấy tờ tùy thân chỉ"),
        ({"proxy.phone": "0912"}, "proxy.full_name", "Nhập họ và tên người được ủy quyền"),
        ({"channel": "fax"}, "channel", "Chọn kênh nộp hồ sơ."),
        ({"components": ["x" * 201]}, "components", "Thành phần hồ sơ: tối đa 100 mục"),
    ],
)
def test_bad_input_is_shown_per_field_keeping_what_was_typed(
    staff_client: StaffClientFactory,
    runtime: NodeRuntime,
    fields: dict[str, Any],
    field: str,
    message: str,
) -> None:
    client = staff_client(Role.RECEPTION)
    before = counts(runtime)
    page = client.post(
        "/dossiers/new", data=_form(client, **fields, **{"applicant.address": "Thôn 7"})
    )
    assert page.status_code == 400
    assert message in page.text
    assert f'href="#f-{field}"' in page.text  # the summary links to the field
    assert 'value="Thôn 7"' in page.text  # what was typed is kept
    assert counts(runtime) == before


def test_a_refusal_the_page_cannot_foresee_is_shown_as_the_service_says(
    staff_client: StaffClientFactory, runtime: NodeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E.g. the node's clock is known to be wrong: the service refuses with its reason."""

    def refuse(*_: object) -> None:
        raise DossierError("the node's clock is 3 hours behind the city's; fix it first")

    monkeypatch.setattr(dossier_service, "receive", refuse)
    client = staff_client(Role.RECEPTION)
    page = client.post("/dossiers/new", data=_form(client))
    assert page.status_code == 400
    assert "Không thực hiện được: the node&#39;s clock is 3 hours behind" in page.text
    assert 'value="Nguyễn Văn Đức"' in page.text


def test_hostile_input_is_shown_as_text_on_every_page(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    client = staff_client(Role.RECEPTION)
    hostile = {
        "applicant.full_name": HOSTILE,
        "applicant.address": HOSTILE,
        "proxy.full_name": HOSTILE,
        "proxy.address": HOSTILE,
        "components": [HOSTILE],
        "procedure_q": HOSTILE,
    }
    refused = client.post(
        "/dossiers/new", data=_form(client, **hostile, **{"applicant.phone": "x"})
    )
    assert refused.status_code == 400 and HOSTILE not in refused.text and ESCAPED in refused.text
    saved = client.post("/dossiers/new", data=_form(client, **hostile), follow_redirects=True)
    assert saved.status_code == 200
    for page in (saved, client.get("/dossiers"), client.get("/dossiers", params={"q": HOSTILE})):
        assert HOSTILE not in page.text
    assert saved.text.count(ESCAPED) == 5  # names, addresses, the component
