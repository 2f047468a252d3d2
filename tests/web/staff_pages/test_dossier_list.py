"""The dossier list page: what staff see first after log-in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta

import msgspec
import pytest

from node import dossier_store
from node.runtime import NodeRuntime
from rules.actor import Role
from rules.clock import to_utc_iso, utc_now
from tests.node.helpers import applicant, create
from tests.support.clock import office_time
from tests.support.staff_client import StaffClientFactory


def test_home_leads_to_the_dossier_list(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION)
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dossiers"


def test_the_list_shows_received_dossiers_and_searches_without_diacritics(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    client = staff_client(Role.RECEPTION)
    first = create(client, applicant=applicant("Nguyễn Văn Đức"))
    create(client, applicant=applicant("Trần Thị Bình", id_number="001099000002"))
    page = client.get("/dossiers")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert first["code"] in page.text and "Trần Thị Bình" in page.text
    assert 'lang="vi"' in page.text and "Ngày hẹn trả" in page.text

    found = client.get("/dossiers", params={"q": "nguyen van duc"})
    assert first["code"] in found.text and "Trần Thị Bình" not in found.text


def test_an_applicant_name_is_shown_as_text_never_as_markup(
    staff_client: StaffClientFactory,
) -> None:
    client = staff_client(Role.RECEPTION)
    create(client, applicant=applicant("<script>alert(1)</script>"))
    page = client.get("/dossiers")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_a_hostile_query_is_refused_or_shown_as_text(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION)
    too_long = client.get("/dossiers", params={"q": "x" * 201})
    assert too_long.status_code == 400
    shown = client.get("/dossiers", params={"q": '"><img src=x onerror=alert(1)>'})
    assert shown.status_code == 200
    assert "<img src=x" not in shown.text


def test_static_assets_are_served_by_the_node(staff_client: StaffClientFactory) -> None:
    client = staff_client()
    css = client.get("/static/app.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    js = client.get("/static/htmx-2.0.11.min.js")
    assert js.status_code == 200 and js.text.startswith("var htmx=")
    assert client.get("/static/../node/data/x").status_code == 404


def _aged(runtime: NodeRuntime, dossier_id: str, **changes: object) -> None:
    """Move a stored dossier's dates (as time passing would), for the filters to find."""
    state = dossier_store.load(runtime.db.read(), dossier_id)
    assert state is not None
    changed = msgspec.structs.replace(state, **changes)
    runtime.db.submit(lambda conn: dossier_store.save(conn, changed))


def _hours_from_now(hours: float) -> str:
    return to_utc_iso(utc_now() + timedelta(hours=hours))


WEDNESDAY = 2


@pytest.fixture
def wednesday_10am() -> Iterator[datetime]:
    """The office clock at the next Wednesday 10:00: "today" and "this week" then hold the
    same dossiers whatever the hour and the day the test runs (23:45 on a Sunday too)."""
    with office_time(time(10, 0), WEDNESDAY) as now:
        yield now


def test_filters_mark_and_sort_the_list(
    staff_client: StaffClientFactory, runtime: NodeRuntime, wednesday_10am: datetime
) -> None:
    client = staff_client(Role.RECEPTION)  # logs in on the Wednesday clock
    today = wednesday_10am.replace(hour=0)
    monday = today - timedelta(days=2)
    minute = timedelta(minutes=1)
    # Legal deadlines around each bound: the day and the week are office time, from their
    # first instant (kept) to the next one's (left out).
    due = {
        "last_week": monday - minute,  # Sunday 23:59 before this week
        "monday": monday + timedelta(hours=12),
        "today_start": today,
        "today_noon": today + timedelta(hours=12),
        "tomorrow": today + timedelta(days=1),
        "sunday": monday + timedelta(days=7) - minute,
        "next_week": monday + timedelta(days=7),
        "later": monday + timedelta(days=40),
    }
    made = {name: create(client, applicant=applicant(name)) for name in due}
    for name, moment in due.items():
        _aged(runtime, made[name]["id"], statutory_due_at=to_utc_iso(moment))
    _aged(runtime, made["later"]["id"], provisional_years=[2099])
    code = {made[name]["code"]: name for name in made}

    page = client.get("/dossiers").text
    marks = {name: _mark(page, made[name]["id"]) for name in made}
    assert marks == {
        "last_week": "overdue",
        "monday": "overdue",
        "today_start": "overdue",
        "today_noon": "due-soon",  # by the end of tomorrow
        "tomorrow": "due-soon",
        "sunday": "",
        "next_week": "",
        "later": "",
    }

    def shown(**params: str) -> list[str]:
        text = client.get("/dossiers", params=params).text
        return [code[c] for c in sorted((c for c in code if c in text), key=text.index)]

    assert set(shown(overdue="1")) == {"last_week", "monday", "today_start"}
    assert set(shown(due="today")) == {"today_start", "today_noon"}
    assert set(shown(due="week")) == {"monday", "today_start", "today_noon", "tomorrow", "sunday"}
    assert shown(due="today", overdue="1") == ["today_start"]
    assert shown(provisional="1") == ["later"]
    assert shown(status="4") == []
    assert shown(procedure="1.000894") == list(reversed(due))  # newest reception first
    assert shown(sort="received_asc") == list(due)
    assert shown(sort="due_asc") == list(due)  # they were made in deadline order
    assert shown(sort="due_desc") == list(reversed(due))
    kept = client.get("/dossiers", params={"status": "2", "overdue": "1", "sort": "due_asc"})
    assert (
        '<option value="2" selected>' in kept.text
        and 'name="overdue" value="1" checked' in kept.text
    )
    assert '<option value="due_asc" selected>' in kept.text


def _mark(page: str, dossier_id: str) -> str:
    """The class of the list row that links to the dossier ("" for a plain row)."""
    found = re.search(rf'<tr(?: class="([a-z-]+)")?>\s*<td><a href="/dossiers/{dossier_id}"', page)
    assert found, f"no row of {dossier_id} on the page"
    return found.group(1) or ""


@pytest.mark.parametrize(
    "params",
    [{"status": "11"}, {"status": "abc"}, {"sort": "name"}, {"due": "yesterday"}, {"offset": "-1"}],
)
def test_bad_filters_are_refused(staff_client: StaffClientFactory, params: dict[str, str]) -> None:
    assert staff_client(Role.RECEPTION).get("/dossiers", params=params).status_code == 400


def test_the_list_pages_keep_the_filters(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION)
    for _ in range(51):
        create(client)
    page = client.get("/dossiers", params={"status": "2", "sort": "due_asc"}).text
    assert 'href="?status=2&amp;sort=due_asc&amp;offset=50" rel="next"' in page


def test_the_list_as_csv_with_the_same_filters(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    client = staff_client(Role.RECEPTION)
    late = create(client, applicant=applicant('=HYPERLINK("x")'))
    other = create(client, applicant=applicant("Trần Thị Bình"))
    _aged(runtime, late["id"], statutory_due_at=_hours_from_now(-30))
    csv_all = client.get("/dossiers.csv")
    assert csv_all.status_code == 200
    assert csv_all.headers["content-type"].startswith("text/csv")
    assert csv_all.headers["content-disposition"].startswith("attachment")
    text = csv_all.content.decode("utf-8-sig")
    assert text.startswith("Mã hồ sơ,Người nộp,") and other["code"] in text
    assert "'=HYPERLINK" in text  # a formula is kept as text
    assert "001099012345" not in text and "0912345678" not in text  # not on the page either
    overdue = client.get("/dossiers.csv", params={"overdue": "1"}).content.decode("utf-8-sig")
    assert late["code"] in overdue and other["code"] not in overdue
    assert "/dossiers.csv?overdue=1" in client.get("/dossiers", params={"overdue": "1"}).text


def test_the_menu_marks_only_the_page_the_user_is_on(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION)
    marked = client.get("/dossiers/new").text.count('aria-current="page"')
    assert (
        marked == 1
        and 'href="/dossiers/new" aria-current="page"' in client.get("/dossiers/new").text
    )
    assert 'href="/dossiers" aria-current="page"' in client.get("/dossiers").text
