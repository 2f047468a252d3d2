"""Form 05, the stop notice (Circular 03/2025/TT-VPCP): printed for the ``stop`` into status
8 whatever it stopped from, a 404 on every other path, the same sheet at a reprint, and
hostile or very long text printed as text."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient

from node import dossier_service, event_log
from node.dossier_service import PersonIn, ReceiveRequest
from node.runtime import NodeRuntime
from rules.actor import STAFF_ROLES, Actor, Role
from rules.clock import OFFICE_TZ, from_utc_iso
from rules.event_kinds import DossierTransitioned, decode_body
from rules.printed_forms import FormNumber, printed_form
from storage.db import scalar
from tests.node.helpers import PROCEDURE, Client, act, applicant, create
from tests.support.staff_client import StaffClientFactory
from web.node_api.app import create_app

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
REASON = "Quá thời hạn bổ sung mà Ông/Bà không bổ sung hồ sơ"
# 300 characters of a Vietnamese name (the API caps a name at 200: see the test using it).
LONG_NAME = " ".join(["Nguyễn Thị Phương Thảo"] * 14)[:300].strip()

Steps = list[tuple[str, dict[str, str]]]
NOTE = {"note": "ghi chú"}
# Every way into 8: a supplement that never came (5), a fee never paid (6), a withdrawal (7).
STOPPED_PATHS: dict[str, tuple[str, Steps]] = {
    "5->8": ("in_person", [("request_supplement", NOTE), ("stop", {"note": REASON})]),
    "6->8": (
        "in_person",
        [("start", {}), ("request_fee", {}), ("stop", {"note": REASON})],
    ),
    "7->8": ("in_person", [("withdraw", {}), ("stop", {"note": REASON})]),
    "1->5->8": ("online", [("request_supplement", NOTE), ("stop", {"note": REASON})]),
}
LATER = {"note": "Chậm", "due_at": "2099-01-05T10:00:00+07:00"}
# Every other status a dossier can be at, and a reschedule (status unchanged).
OTHER_PATHS: dict[str, tuple[str, Steps]] = {
    "1": ("online", []),
    "2": ("in_person", []),
    "1->3": ("online", [("refuse", NOTE)]),
    "2->3": ("in_person", [("refuse", NOTE)]),
    "4->3": ("in_person", [("start", {}), ("refuse", NOTE)]),
    "5->3": ("in_person", [("request_supplement", NOTE), ("refuse", NOTE)]),
    "4": ("in_person", [("start", {})]),
    "5": ("in_person", [("request_supplement", NOTE)]),
    "5->4": ("in_person", [("request_supplement", NOTE), ("complete_supplement", {})]),
    "6": ("in_person", [("request_fee", {})]),
    "6->4": ("in_person", [("request_fee", {}), ("fee_paid", {})]),
    "7": ("in_person", [("withdraw", {})]),
    "2 rescheduled": ("in_person", [("reschedule", LATER)]),
    "9": ("in_person", [("start", {}), ("resolve", {})]),
    "10": ("in_person", [("start", {}), ("resolve", {}), ("return_result", {})]),
}


def _walk(client: Client, channel: str, steps: Steps, **overrides: Any) -> dict[str, Any]:
    d = create(client, channel=channel, **overrides)
    for action, extra in steps:
        moved = act(client, d["id"], action, **extra)
        assert moved.status_code == 201, (action, moved.text)
    return d


def _form(client: Client, dossier_id: str) -> Any:
    return client.get(f"/dossiers/{dossier_id}/forms/05")


def _ok(client: Client, dossier_id: str) -> str:
    response = _form(client, dossier_id)
    assert response.status_code == 200, response.text
    assert "no-store" in response.headers["cache-control"]
    text: str = response.text
    return text


def _stop_event(runtime: NodeRuntime, dossier_id: str) -> DossierTransitioned:
    bodies = [decode_body(r.body) for r in event_log.for_stream(runtime.db.read(), dossier_id)]
    (stop,) = [b for b in bodies if isinstance(b, DossierTransitioned) and b.action == "stop"]
    return stop


def _written(value: str) -> str:
    day = from_utc_iso(value).astimezone(OFFICE_TZ)
    return f"ngày {day:%d} tháng {day:%m} năm {day:%Y}"


def test_form_05_prints_the_stop_and_its_reason(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    client = staff_client()
    proxy = {"full_name": "Trần Thị Bình", "id_number": "001199000111"}
    channel, steps = STOPPED_PATHS["5->8"]
    d = _walk(client, channel, steps, proxy=proxy)
    html = _ok(client, d["id"])
    stop = _stop_event(runtime, d["id"])
    assert stop.from_status == 5 and stop.to_status == 8
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG",  # the default office name, upper-cased
        "<h1>THÔNG BÁO VỀ VIỆC DỪNG GIẢI QUYẾT HỒ SƠ</h1>",
        "(Mẫu số 05, Thông tư 03/2025/TT-VPCP)",
        'Kính gửi: Ông/Bà <strong class="addressee">Nguyễn Văn Đức</strong>',
        "Người được ủy quyền nộp hồ sơ: Trần Thị Bình",
        f"<strong>{d['code']}</strong>",
        d["procedure_name"],
        f"(mã&nbsp;thủ&nbsp;tục&nbsp;{PROCEDURE})",  # held on one line
        f"{_written(d['received_at'])[:1].upper()}{_written(d['received_at'])[1:]}, ",
        f'<div class="note">{REASON}</div>',
        "THỦ TRƯỞNG CƠ QUAN",
        'data-form="05"',
    ):
        assert expected in html, expected
    stopped_on = re.search(r'class="stopped-on">([^<]*)<', html)
    assert stopped_on and stopped_on.group(1) == _written(stop.at)
    assert f'data-event="{event_log.for_stream(runtime.db.read(), d["id"])[-1].id}"' in html
    assert "Hồ sơ chưa được tiếp nhận" not in html
    # Neither the PIN (form 01's alone) nor an identity number is on the notice.
    for absent in (d["lookup_pin"], "001099012345", "001199000111"):
        assert absent not in html


@pytest.mark.parametrize("path", list(STOPPED_PATHS), ids=str)
def test_form_05_applies_to_every_stop(staff_client: StaffClientFactory, path: str) -> None:
    client = staff_client()
    d = _walk(client, *STOPPED_PATHS[path])
    html = _ok(client, d["id"])
    assert REASON in html and "THÔNG BÁO VỀ VIỆC DỪNG GIẢI QUYẾT HỒ SƠ" in html
    page = client.get(f"/dossiers/{d['id']}").text
    assert f'href="/dossiers/{d["id"]}/forms/05"' in page
    assert "Mẫu 05: Thông báo về việc dừng giải quyết hồ sơ" in page
    # A stop is not a refusal: form 03 stays a 404.
    assert client.get(f"/dossiers/{d['id']}/forms/03").status_code == 404


@pytest.mark.parametrize("path", list(OTHER_PATHS), ids=str)
def test_form_05_is_404_on_every_other_path(staff_client: StaffClientFactory, path: str) -> None:
    client = staff_client()
    d = _walk(client, *OTHER_PATHS[path])
    response = _form(client, d["id"])
    assert response.status_code == 404, response.text
    assert "Không tìm thấy trang" in response.text
    assert "/forms/05" not in client.get(f"/dossiers/{d['id']}").text


def test_a_dossier_stopped_before_acceptance_says_it_was_never_received(
    staff_client: StaffClientFactory,
) -> None:
    client = staff_client()
    d = _walk(client, *STOPPED_PATHS["1->5->8"])
    html = _ok(client, d["id"])
    submitted = _written(d["submitted_at"])
    assert f"{submitted[:1].upper()}{submitted[1:]}, Ông/Bà nộp hồ sơ đề nghị" in html
    assert "hình thức nộp: trực tuyến. Hồ sơ chưa được tiếp nhận." in html
    assert "tiếp nhận hồ sơ đề nghị" not in html
    assert client.get(f"/dossiers/{d['id']}/forms/01").status_code == 404  # never received


def test_a_hostile_reason_and_names_print_as_text(staff_client: StaffClientFactory) -> None:
    client = staff_client()
    d = create(client, applicant=applicant(XSS), proxy={"full_name": XSS})
    assert act(client, d["id"], "withdraw").status_code == 201
    assert act(client, d["id"], "stop", note=f"{XSS}\nDòng hai").status_code == 201
    html = _ok(client, d["id"])
    assert XSS not in html and "<script>alert" not in html
    assert html.count(ESCAPED) == 3  # the addressee, the proxy, the reason
    assert f'<div class="note">{ESCAPED}\nDòng hai</div>' in html  # line breaks kept


def test_a_300_character_name_prints_whole_as_text(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    assert len(LONG_NAME) == 300
    client = staff_client()
    # The API refuses a name over 200 characters, so no such dossier comes through it; the
    # form must still print whatever the log holds (a service call builds it unchecked).
    refused = client.post(
        "/api/v1/dossiers",
        json={
            "procedure_code": PROCEDURE,
            "channel": "in_person",
            "applicant": {"full_name": LONG_NAME},
        },
    )
    assert refused.status_code == 400 and "full_name" in refused.text
    reception = Actor("tiepnhan", roles=frozenset({Role.RECEPTION}))
    request = ReceiveRequest(PROCEDURE, PersonIn(f"{XSS} {LONG_NAME}"), "in_person")
    state = dossier_service.receive(runtime, request, reception)
    assert act(client, state.id, "withdraw").status_code == 201
    assert act(client, state.id, "stop", note="Công dân rút hồ sơ").status_code == 201
    html = _ok(client, state.id)
    assert f'<strong class="addressee">{ESCAPED} {LONG_NAME}</strong>' in html


def test_a_reprint_is_the_same_sheet(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    client = staff_client()
    d = _walk(client, *STOPPED_PATHS["6->8"])
    first = _ok(client, d["id"])
    # Something after the stop (a scan filed late) changes nothing on the notice.
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    attached = client.post(
        f"/api/v1/dossiers/{d['id']}/documents",
        files={"file": ("muon.pdf", pdf, "application/pdf")},
    )
    assert attached.status_code == 201, attached.text
    events = int(scalar(runtime.db.read(), "SELECT COUNT(*) FROM events"))
    assert _ok(client, d["id"]) == first
    assert (
        int(scalar(runtime.db.read(), "SELECT COUNT(*) FROM events")) == events
    )  # GET writes nothing
    # The date printed is the stop event's, read from the log.
    stop = _stop_event(runtime, d["id"])
    assert f'class="stopped-on">{_written(stop.at)}<' in first


def test_every_staff_role_may_print_it_and_an_anonymous_visitor_may_not(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    d = _walk(staff_client(), *STOPPED_PATHS["7->8"])
    sheets = {role: _ok(staff_client(role), d["id"]) for role in sorted(STAFF_ROLES)}
    assert len(set(sheets.values())) == 1  # the sheet does not depend on who prints it
    events = int(scalar(runtime.db.read(), "SELECT COUNT(*) FROM events"))
    with TestClient(app=create_app(runtime)) as anonymous:
        response = anonymous.get(f"/dossiers/{d['id']}/forms/05", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=%2Fdossiers%2F")
        assert REASON not in response.text and d["code"] not in response.text
    assert int(scalar(runtime.db.read(), "SELECT COUNT(*) FROM events")) == events


def test_form_05_is_printed_in_vietnamese_for_an_english_user(
    staff_client: StaffClientFactory,
) -> None:
    client = staff_client()
    d = _walk(client, *STOPPED_PATHS["5->8"])
    assert client.post("/account/language", data={"lang": "en"}).status_code == 200
    assert "Form 05: notice that processing is stopped" in client.get(f"/dossiers/{d['id']}").text
    html = _ok(client, d["id"])
    assert "THÔNG BÁO VỀ VIỆC DỪNG GIẢI QUYẾT HỒ SƠ" in html and "Back to the dossier" in html


def test_the_form_is_the_stop_event_read_in_any_order(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    d = _walk(staff_client(), *STOPPED_PATHS["5->8"])
    records = event_log.for_stream(runtime.db.read(), d["id"])
    form = printed_form(records, FormNumber.STOP)
    stop = _stop_event(runtime, d["id"])
    assert form is not None and form.event_id == records[-1].id
    assert (form.at, form.note, form.state.status) == (stop.at, REASON, 8)
    assert printed_form(list(reversed(records)), FormNumber.STOP) == form
    assert printed_form(records[:-1], FormNumber.STOP) is None  # before the stop
