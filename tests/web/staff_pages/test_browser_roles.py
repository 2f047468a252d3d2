"""The lifecycle in real Chromium, each step by a separate account holding only the role that
may take it: reception receives, processing starts, the leader resolves, reception returns the
result. Each sees only its own buttons, and an action posted by hand without the role is
refused and changes nothing."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from rules.actor import Role
from tests.support.browser import StaffBrowserFactory
from web.staff_pages.page_errors import FORBIDDEN

START, RESOLVE, RETURN = "Bắt đầu xử lý", "Hoàn thành xử lý", "Trả kết quả"
REFUSE, STOP = "Từ chối tiếp nhận", "Dừng xử lý hồ sơ"


def _buttons(page: Page) -> set[str]:
    """The actions offered, those behind a closed "reason" box included."""
    section = page.locator("section[aria-labelledby=actions-h]")
    return {b.strip().rstrip("…") for b in section.locator("button").all_text_contents()}


def _take(page: Page, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator("p.notice")).to_contain_text(f"Đã thực hiện: {button}.")


def _refused_by_hand(page: Page, url: str, action: str) -> None:
    """What a user who edits the page (or scripts with its cookie and CSRF token) can send:
    refused for the role (not for a missing token), on the page as on the API."""
    token = page.locator("input[name=_csrf_token]").first.input_value()
    form: dict[str, str | float | bool] = {"action": action, "_csrf_token": token}
    sent = page.request.post(f"{url}/actions", form=form, max_redirects=0)
    assert sent.status == 403 and FORBIDDEN in sent.text(), sent.text()
    api = page.request.post(
        f"/api{url.replace('/dossiers/', '/v1/dossiers/')}/transitions",
        data={"action": action},
        headers={"X-CSRF-Token": token},
    )
    assert api.status == 403 and "needs the role" in api.json()["detail"], api.text()


def test_each_role_takes_its_own_step_and_no_other(staff_browser: StaffBrowserFactory) -> None:
    reception = staff_browser(Role.RECEPTION, user="tiepnhan")
    reception.goto("/dossiers/new")
    reception.get_by_label("Tìm thủ tục theo tên hoặc mã").fill("1.000894")
    reception.get_by_role("radio", name="1.000894 · Đăng ký kết hôn").check()
    reception.get_by_label("Họ và tên").first.fill("Phạm Minh Châu")
    reception.get_by_role("button", name="Lưu và in giấy tiếp nhận").click()
    reception.wait_for_url("**/dossiers/*?received=1")
    url = "/dossiers/" + reception.url.split("?")[0].rsplit("/", 1)[1]
    assert RESOLVE not in _buttons(reception) and START not in _buttons(reception)

    processing = staff_browser(Role.PROCESSING, user="chuyenvien")
    processing.goto(url)
    assert START in _buttons(processing)
    assert not {RESOLVE, RETURN, REFUSE, STOP} & _buttons(processing)
    _take(processing, START)
    assert RESOLVE not in _buttons(processing)

    # Resolving is legal now, but not for reception: refused, on the page as on the API.
    reception.reload()
    assert RESOLVE not in _buttons(reception)
    _refused_by_hand(reception, url, "resolve")
    reception.reload()
    expect(reception.locator("h1 .status")).to_have_text("Đang xử lý")

    leader = staff_browser(Role.LEADER, user="lanhdao")
    leader.goto(url)
    assert RESOLVE in _buttons(leader) and not {START, RETURN} & _buttons(leader)
    _take(leader, RESOLVE)
    _refused_by_hand(leader, url, "return_result")

    reception.reload()
    assert RETURN in _buttons(reception) and not {RESOLVE, STOP, START} & _buttons(reception)
    _take(reception, RETURN)
    expect(reception.locator("h1 .status")).to_have_text("Đã trả kết quả")
    timeline = reception.locator(".timeline li")
    expect(timeline).to_have_count(4)
    for who in ("tiepnhan", "chuyenvien", "lanhdao"):
        expect(timeline.filter(has_text=who).first).to_be_visible()
