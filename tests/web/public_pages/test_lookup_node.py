"""The progress lookup on the node (``/lookup``): what it shows, what it never shows, and one
answer for an unknown code and a wrong PIN."""

from __future__ import annotations

import re

from tests.web.public_pages.conftest import Client
from tests.web.public_pages.helpers import PERSONAL, received, returned


def lookup(public: Client, code: str, pin: str) -> tuple[int, str]:
    response = public.get("/lookup", params={"code": code, "pin": pin})
    assert "set-cookie" not in response.headers  # no session, no CSRF cookie
    assert response.headers["cache-control"] == "no-store"
    return response.status_code, response.text


def test_the_empty_form_is_a_get_form_without_cookies(public: Client) -> None:
    response = public.get("/lookup")
    assert response.status_code == 200
    assert "set-cookie" not in response.headers
    html = response.text
    assert '<form method="get" action="/lookup"' in html
    assert "_csrf_token" not in html and "Đăng xuất" not in html


def test_code_and_pin_show_progress_and_only_the_initials(staff: Client, public: Client) -> None:
    d = returned(staff)
    status, html = lookup(public, d["code"], d["lookup_pin"])
    assert status == 200
    assert 'data-field="applicant">N.V.A.<' in html
    assert "Đăng ký kết hôn (1.000894)" in html
    assert "<strong>Đã trả kết quả</strong>" in html
    steps = re.findall(r"<li><time datetime=\"[^\"]+\">[\d/: ]+</time> · ([^<(]+)", html)
    assert [s.strip() for s in steps] == [
        "Tiếp nhận hồ sơ",
        "Chuyển xử lý",
        "Đã xử lý xong",
        "Đã trả kết quả",
    ]
    for personal in (*PERSONAL, "Trần Thị Bình", "tiepnhan"):
        assert personal not in html, personal


def test_a_pin_typed_with_spaces_is_read(staff: Client, public: Client) -> None:
    d = received(staff)
    pin = d["lookup_pin"]
    status, html = lookup(public, f"  {d['code']} ", f"{pin[:3]} {pin[3:]}")
    assert status == 200 and "<strong>Được tiếp nhận</strong>" in html


def test_a_wrong_pin_and_an_unknown_code_get_the_same_answer(staff: Client, public: Client) -> None:
    d = received(staff)
    wrong_pin = f"{(int(d['lookup_pin']) + 1) % 1_000_000:06d}"
    unknown = d["code"][:-4] + "9999"
    wrong_status, wrong_html = lookup(public, d["code"], wrong_pin)
    unknown_status, unknown_html = lookup(public, unknown, wrong_pin)
    assert wrong_status == unknown_status == 404
    # The same page, but for the code typed, shown back in the form.
    assert wrong_html.replace(d["code"], "CODE") == unknown_html.replace(unknown, "CODE")
    assert "Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này" in wrong_html
    for personal in (*PERSONAL, "Đăng ký kết hôn", "N.V.A."):
        assert personal not in wrong_html, personal


def test_a_malformed_code_or_pin_says_what_is_wrong(public: Client) -> None:
    status, html = lookup(public, "", "12")
    assert status == 400
    assert "Xin nhập mã hồ sơ" in html and "Mã tra cứu gồm đúng 6 chữ số." in html
    status, html = lookup(public, "x" * 51, "abcdef")
    assert status == 400 and "tối đa 50 ký tự" in html and "đúng 6 chữ số" in html
    status, html = lookup(public, "000.00.15.H42-270201-0001", "")
    assert status == 400 and "Xin nhập mã tra cứu" in html
    status, html = lookup(public, "a\x07b", "123456")
    assert status == 400 and "ký tự điều khiển" in html


def test_markup_in_the_query_is_shown_as_text(public: Client) -> None:
    status, html = lookup(public, '"><script>alert(1)</script>', "123456")
    assert status == 404
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html or "&#34;&gt;&lt;script&gt;" in html


def test_a_staff_session_is_not_needed_and_not_shown(staff: Client) -> None:
    d = received(staff)
    # The token's holder (staff) sees the same public page: no menu, no account.
    response = staff.get("/lookup", params={"code": d["code"], "pin": d["lookup_pin"]})
    assert response.status_code == 200
    assert "Đăng xuất" not in response.text and "tiepnhan" not in response.text
