"""The printable forms 01-04: which apply, what they print, that a reprint is the same
page, and that hostile names and notes print as text (form 05: test_form_05.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from node import dossier_service, event_log
from node.runtime import NodeRuntime
from rules.actor import Role
from scanner_ingest.slip import slip_payload
from storage.db import scalar
from tests.node.helpers import Client, act, applicant, create
from tests.support.staff_client import StaffClientFactory
from web.staff_pages.form_view import keep_places

XSS = "<script>alert(1)</script>"
NOTE_XSS = '"><img src=x onerror=alert(2)>'


def form(client: Client, dossier_id: str, number: str) -> Any:
    return client.get(f"/dossiers/{dossier_id}/forms/{number}")


def ok(client: Client, dossier_id: str, number: str) -> str:
    response = form(client, dossier_id, number)
    assert response.status_code == 200, response.text
    assert "text/html" in response.headers["content-type"]
    text: str = response.text
    return text


def test_form_01_prints_the_reception(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION)
    d = create(client)
    html = ok(client, d["id"], "01")
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG",  # the default office name, upper-cased
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        d["code"],
        "Nguyễn Văn Đức",
        d["procedure_name"],
        "Tờ khai đăng ký kết hôn",
        "Giấy xác nhận tình trạng hôn nhân",
        "5 ngày làm việc",
        "NGƯỜI NỘP HỒ SƠ",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
    ):
        assert expected in html, expected
    # The appointment as the API gives it (+07:00), written out the way the form writes it.
    due = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)", d["due_at"])
    assert due is not None
    y, mo, day, h, mi = due.groups()
    assert f"{h} giờ {mi} phút, ngày {day} tháng {mo} năm {y}" in html
    assert d["lookup_pin"] in html and 'class="pin-value"' in html
    assert "<svg" in html and 'class="qr"' in html
    assert f'aria-label="QR {slip_payload(d["code"])}"' in html
    assert "001099012345" not in html  # no form prints the identity number
    # No city address configured: the phone's QR opens the node's own lookup.
    assert f"/lookup?code={d['code']}&amp;pin={d['lookup_pin']}" in html
    assert html.count('class="qr"') == 2
    assert "<nav" not in html and "/static/forms.css" in html and "@page" not in html


@pytest.mark.parametrize("number", ["02", "03", "04", "05"])
def test_a_form_that_does_not_apply_is_404(staff_client: StaffClientFactory, number: str) -> None:
    client = staff_client(Role.RECEPTION)
    d = create(client)
    assert form(client, d["id"], number).status_code == 404


@pytest.mark.parametrize("number", ["06", "5", "00", "x" * 11, "..%2F..%2Fetc%2Fpasswd"])
def test_an_unknown_form_number_is_refused(staff_client: StaffClientFactory, number: str) -> None:
    client = staff_client(Role.RECEPTION)
    d = create(client)
    assert form(client, d["id"], number).status_code in (400, 404)


@pytest.mark.parametrize("dossier_id", ["no-such-dossier", "..%2F..%2Fetc%2Fpasswd"])
def test_an_unknown_dossier_has_no_forms(staff_client: StaffClientFactory, dossier_id: str) -> None:
    client = staff_client(Role.RECEPTION)
    assert form(client, dossier_id, "01").status_code in (400, 404)
    assert client.get("/dossiers/../../etc/passwd/forms/01").status_code == 404


@pytest.fixture
def an_binh(node_dir: Path) -> None:
    """The office of xã An Bình, as the README's screenshots name it (before the node opens)."""
    config = node_dir / "motcua.toml"
    text = config.read_text(encoding="utf-8")
    for key, value in (
        ("name", "Trung tâm Phục vụ hành chính công xã An Bình"),
        ("parent", "Ủy ban nhân dân xã An Bình"),
        ("place", "An Bình"),
    ):
        text = re.sub(rf"(?m)^{key} = .*$", f'{key} = "{value}"', text, count=1)
    config.write_text(text, encoding="utf-8")


def test_a_place_name_and_a_bracketed_code_are_held_on_one_line(
    an_binh: None, staff_client: StaffClientFactory
) -> None:
    """No-break spaces inside "xã An Bình" and "(mã thủ tục ...)": the letterhead breaks
    "ỦY BAN NHÂN DÂN / XÃ AN BÌNH", never "XÃ AN / BÌNH"."""
    client = staff_client(Role.RECEPTION, Role.LEADER)
    d = create(client)
    assert (
        act(client, d["id"], "request_supplement", note="Bản sao giấy khai sinh").status_code == 201
    )
    html = ok(client, d["id"], "02")
    assert "<p>ỦY BAN NHÂN DÂN XÃ\u00a0AN\u00a0BÌNH</p>" in html
    assert "<strong>TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG XÃ\u00a0AN\u00a0BÌNH</strong>" in html
    assert "liên hệ với Trung tâm Phục vụ hành chính công xã\u00a0An\u00a0Bình để" in html
    assert "<em>An\u00a0Bình, ngày " in html
    assert f"(mã&nbsp;thủ&nbsp;tục&nbsp;{d['procedure_code']})" in html


@pytest.mark.parametrize(
    ("text", "held"),
    [
        ("ỦY BAN NHÂN DÂN XÃ AN BÌNH", "ỦY BAN NHÂN DÂN XÃ\u00a0AN\u00a0BÌNH"),
        (
            "UBND phường Bến Nghé, thành phố Huế",
            "UBND phường\u00a0Bến\u00a0Nghé, thành\u00a0phố\u00a0Huế",
        ),
        ("UBND thị xã Sơn Tây (Hà Nội)", "UBND thị\u00a0xã\u00a0Sơn\u00a0Tây (Hà Nội)"),
        ("Trung tâm Phục vụ hành chính công", "Trung tâm Phục vụ hành chính công"),  # no place
        ("XÃ " + "DÀI " * 6 + "QUÁ", "XÃ " + "DÀI " * 6 + "QUÁ"),  # too long: wraps at its spaces
    ],
)
def test_keep_places_holds_only_a_short_place_name(text: str, held: str) -> None:
    assert keep_places(text) == held


def test_form_01_waits_for_reception_of_an_online_dossier(
    staff_client: StaffClientFactory,
) -> None:
    client = staff_client(Role.RECEPTION)
    d = create(client, channel="online")
    assert form(client, d["id"], "01").status_code == 404
    assert act(client, d["id"], "receive").status_code == 201
    assert "Trực tuyến" in ok(client, d["id"], "01")


def test_form_02_prints_the_last_supplement_request(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION, Role.PROCESSING)
    d = create(client)
    asked = act(client, d["id"], "request_supplement", note="1. Bản sao sổ hộ khẩu")
    assert asked.status_code == 201
    first = ok(client, d["id"], "02")
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in first
    assert "1. Bản sao sổ hộ khẩu" in first and "NGƯỜI HƯỚNG DẪN" in first
    assert d["lookup_pin"] not in first  # only the receipt carries the PIN
    assert act(client, d["id"], "complete_supplement").status_code == 201
    assert ok(client, d["id"], "02") == first  # the clock restarted: the same notice
    assert act(client, d["id"], "request_supplement", note="2. Ảnh 4x6").status_code == 201
    second = ok(client, d["id"], "02")
    assert "2. Ảnh 4x6" in second and "Bản sao sổ hộ khẩu" not in second


def test_form_03_prints_the_refusal_and_its_reason(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION, Role.LEADER)
    d = create(client)
    assert act(client, d["id"], "refuse", note="Không thuộc thẩm quyền của xã").status_code == 201
    html = ok(client, d["id"], "03")
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in html
    assert "Không thuộc thẩm quyền của xã" in html and d["code"] in html
    assert d["lookup_pin"] not in html
    assert form(client, d["id"], "04").status_code == 404


def test_form_04_prints_the_old_and_the_new_appointment(
    staff_client: StaffClientFactory,
) -> None:
    client = staff_client(Role.RECEPTION, Role.LEADER)
    d = create(client)
    moved = act(
        client, d["id"], "reschedule", note="Chờ xác minh", due_at="2099-03-16T16:00:00+07:00"
    )
    assert moved.status_code == 201, moved.text
    html = ok(client, d["id"], "04")
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in html and "Chờ xác minh" in html
    y, mo, day = d["due_at"][:10].split("-")
    old = re.search(r'class="old-due">([^<]*)<', html)
    new = re.search(r'class="new-due">([^<]*)<', html)
    assert old and f"ngày {day} tháng {mo} năm {y}" in old.group(1)
    assert new and new.group(1) == "16 giờ 00 phút, ngày 16 tháng 03 năm 2099"
    assert "Kính gửi: Ông/Bà <strong>Nguyễn Văn Đức</strong>" in html


def test_a_reprint_is_the_same_page_whatever_happened_since(
    staff_client: StaffClientFactory,
) -> None:
    client = staff_client(Role.RECEPTION, Role.PROCESSING, Role.LEADER)
    d = create(client)
    receipt = ok(client, d["id"], "01")
    for action, extra in (
        ("request_supplement", {"note": "Bổ sung ảnh"}),
        ("complete_supplement", {}),
        ("reschedule", {"note": "Chậm", "due_at": "2099-01-05T10:00:00+07:00"}),
        ("resolve", {}),
    ):
        assert act(client, d["id"], action, **extra).status_code == 201, action
    assert ok(client, d["id"], "01") == receipt


def test_names_and_notes_print_as_text(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION, Role.LEADER)
    d = create(
        client,
        applicant=applicant(XSS),
        components=[XSS],
        proxy={"full_name": NOTE_XSS},
    )
    act(client, d["id"], "request_supplement", note=NOTE_XSS)
    act(client, d["id"], "reschedule", note=XSS, due_at="2099-01-05T10:00:00+07:00")
    act(client, d["id"], "refuse", note=NOTE_XSS)
    for number in ("01", "02", "03", "04"):
        html = ok(client, d["id"], number)
        assert XSS not in html and "<img src=x" not in html, number
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, number


def test_a_dossier_without_a_pin_gets_one_at_its_first_print(
    staff_client: StaffClientFactory, runtime: NodeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = staff_client(Role.RECEPTION)
    with monkeypatch.context() as m:  # as a dossier received before PINs existed
        m.setattr(dossier_service, "new_lookup_pin", lambda: "")
        d = create(client)
    assert d["lookup_pin"] == ""
    events = int(scalar(runtime.db.read(), "SELECT COUNT(*) FROM events"))
    first = ok(client, d["id"], "01")
    pin = client.get(f"/api/v1/dossiers/{d['id']}").json()["lookup_pin"]
    assert re.fullmatch(r"\d{6}", pin) and pin in first
    assert ok(client, d["id"], "01") == first  # the second print writes nothing
    kinds = [r.kind for r in event_log.for_stream(runtime.db.read(), d["id"])]
    assert kinds == ["dossier_received", "lookup_pin_issued"]
    assert int(scalar(runtime.db.read(), "SELECT COUNT(*) FROM events")) == events + 1


def test_the_pin_is_on_no_other_page_and_never_cached(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION)
    d = create(client)
    assert d["lookup_pin"] not in client.get("/dossiers").text
    assert "no-store" in form(client, d["id"], "01").headers["cache-control"]


def test_form_04_prints_the_last_reschedule_and_the_date_it_replaced(
    staff_client: StaffClientFactory,
) -> None:
    client = staff_client(Role.RECEPTION, Role.LEADER)
    d = create(client)
    for note, due in (
        ("Lần 1", "2099-03-02T09:00:00+07:00"),
        ("Lần 2", "2099-04-01T09:00:00+07:00"),
    ):
        assert act(client, d["id"], "reschedule", note=note, due_at=due).status_code == 201
    html = ok(client, d["id"], "04")
    assert "Lần 2" in html and "Lần 1" not in html
    assert 'class="old-due">09 giờ 00 phút, ngày 02 tháng 03 năm 2099<' in html
    assert 'class="new-due">09 giờ 00 phút, ngày 01 tháng 04 năm 2099<' in html


@pytest.fixture
def city_url_node(node_dir: Path) -> Path:
    config = node_dir / "motcua.toml"
    text = config.read_text(encoding="utf-8")
    text = text.replace('city_public_url = ""', 'city_public_url = "https://tracuu.example.vn/"')
    text = text.replace('place = ""', 'place = "An Bình"')
    config.write_text(text, encoding="utf-8")
    return node_dir


def test_with_the_city_address_the_slip_prints_the_lookup_link(
    city_url_node: Path, staff_client: StaffClientFactory
) -> None:
    client = staff_client(Role.RECEPTION)
    d = create(client)
    html = ok(client, d["id"], "01")
    link = f"https://tracuu.example.vn/lookup?code={d['code']}&amp;pin={d['lookup_pin']}"
    assert link in html
    assert html.count('class="qr"') == 2
    assert re.search(r"<em>An\u00a0Bình, ngày \d\d tháng \d\d năm \d{4}</em>", html)


def test_a_supplement_asked_before_acceptance_stops_no_clock(
    staff_client: StaffClientFactory,
) -> None:
    client = staff_client(Role.RECEPTION)
    d = create(client, channel="online")
    assert act(client, d["id"], "request_supplement", note="Thiếu tờ khai").status_code == 201
    html = ok(client, d["id"], "02")
    assert "Thiếu tờ khai" in html and "tạm dừng" not in html
    assert form(client, d["id"], "01").status_code == 404  # not received yet


def test_an_account_without_a_staff_role_prints_no_form(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    """The forms carry the citizen's data: they ask the same permission as the dossier page.
    No node account can hold a city role through the commands or pages, so the row is set by
    hand, as a damaged or hand-edited accounts table could hold it."""
    d = create(staff_client(Role.RECEPTION))
    viewer = staff_client(Role.RECEPTION, user="nguoi-xem")
    with runtime.db.write() as conn:
        conn.execute("UPDATE users SET roles = 'viewer' WHERE id = 'nguoi-xem'")
    for number in ("01", "02", "99"):
        answer = form(viewer, d["id"], number)
        assert answer.status_code == 403, (number, answer.status_code)
        assert d["lookup_pin"] not in answer.text and "Nguyễn Văn Đức" not in answer.text
