"""Search folds Vietnamese; stats count what the province asks for."""

from __future__ import annotations

import pytest

from rules.search_text import fold
from tests.node.helpers import Client, act, applicant, create


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Nguyễn Văn Đức", "nguyen van duc"),
        ("ĐẶNG THỊ Ổ", "dang thi o"),
        ("Phạm  Thị\tHường", "pham thi huong"),
        ("Nguyễn Văn Đức".encode().decode("utf-8"), "nguyen van duc"),
        # NFD input (as some keyboards and macOS file names produce) folds the same.
        ("Nguye\u0302\u0303n", "nguyen"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    "query", ["nguyen van duc", "NGUYEN VAN DUC", "Nguyễn Văn Đức", "van duc", "đức", "DUC"]
)
def test_search_finds_by_name_without_diacritics(client: Client, query: str) -> None:
    target = create(client, applicant=applicant("Nguyễn Văn Đức", "001099000001"))
    create(client, applicant=applicant("Trần Thị Mai", "001099000002"))
    page = client.get("/api/v1/dossiers", params={"q": query}).json()
    assert [d["id"] for d in page["items"]] == [target["id"]]
    assert page["total"] == 1


def test_search_by_code_and_identity_number(client: Client) -> None:
    a = create(client, applicant=applicant("Lê Văn A", "079203001234"))
    b = create(client, applicant=applicant("Lê Văn B", "079203009999"))
    assert [
        d["id"]
        for d in client.get("/api/v1/dossiers", params={"q": "079203009999"}).json()["items"]
    ] == [b["id"]]
    assert [
        d["id"] for d in client.get("/api/v1/dossiers", params={"q": a["code"]}).json()["items"]
    ] == [a["id"]]


def test_search_treats_like_wildcards_literally(client: Client) -> None:
    create(client, applicant=applicant("Hoàng Văn C"))
    assert client.get("/api/v1/dossiers", params={"q": "%"}).json()["total"] == 0
    assert client.get("/api/v1/dossiers", params={"q": "_"}).json()["total"] == 0


def test_list_filters_and_pages(client: Client) -> None:
    ids = [create(client)["id"] for _ in range(5)]
    act(client, ids[0], "start")
    assert client.get("/api/v1/dossiers", params={"status": 4}).json()["total"] == 1
    page = client.get("/api/v1/dossiers", params={"limit": 2, "offset": 2}).json()
    assert page["total"] == 5 and len(page["items"]) == 2
    late = create(client, received_at="2026-04-20T09:00:00+07:00")
    overdue = client.get("/api/v1/dossiers", params={"overdue": "true"}).json()
    assert [d["id"] for d in overdue["items"]] == [late["id"]]
    assert client.get("/api/v1/dossiers", params={"overdue": "false"}).json()["total"] == 5
    window = client.get(
        "/api/v1/dossiers", params={"from": "2026-04-20", "to": "2026-04-20"}
    ).json()
    assert [d["id"] for d in window["items"]] == [late["id"]]


def test_stats_counts_the_indicators(client: Client) -> None:
    # Received 20 Apr 2026 (5 working days -> due 28 Apr): resolved now, so late.
    late = create(client, received_at="2026-04-20T09:00:00+07:00")
    act(client, late["id"], "start")
    act(client, late["id"], "resolve")
    # Overdue and still in progress.
    create(client, received_at="2026-04-21T09:00:00+07:00", channel="post")
    # Received now and resolved at once: early.
    early = create(client)
    act(client, early["id"], "start")
    act(client, early["id"], "resolve")
    act(client, early["id"], "return_result")
    # Online, not yet received: counts nowhere but the channel share of received ones.
    create(client, channel="online")
    # In progress, not overdue.
    create(client)

    stats = client.get("/api/v1/stats").json()
    assert stats["received"] == 4
    assert stats["resolved"] == 2
    assert stats["finished"] == 2
    assert stats["late"] == 1
    assert stats["on_time"] == 1
    assert stats["early"] == 1
    assert stats["in_progress"] == 2
    assert stats["overdue_in_progress"] == 1
    assert stats["on_time_rate"] == 0.5
    assert stats["channels"] == {"in_person": 0.75, "online": 0.0, "post": 0.25}
    # Decision 766's rate counts the in-progress dossiers too: 1 ended on time of 2 ended,
    # 1 within its time of 2 in progress; none of the 4 received has a file.
    national = stats["national"]
    assert (national["ended"], national["ended_on_time"]) == (2, 1)
    assert (national["in_progress"], national["in_progress_within_time"]) == (2, 1)
    assert national["progress_rate"] == 0.5
    assert (national["received"], national["digitisation_rate"]) == (4, 0.0)

    april = client.get("/api/v1/stats", params={"from": "2026-04-01", "to": "2026-04-30"}).json()
    assert april["received"] == 2
    assert april["resolved"] == 0  # resolved today, outside April


def test_stats_counts_digitised_dossiers(client: Client) -> None:
    d = create(client)
    act(client, d["id"], "start")
    for role, data in (("component", b"%PDF-1.4 scan"), ("result", b"%PDF-1.4 signed")):
        r = client.post(
            f"/api/v1/dossiers/{d['id']}/documents",
            files={"file": ("a.pdf", data, "application/pdf")},
            data={"role": role},
        )
        assert r.status_code == 201, r.text
    act(client, d["id"], "resolve")
    other = create(client)
    act(client, other["id"], "start")
    act(client, other["id"], "resolve")
    stats = client.get("/api/v1/stats").json()
    assert stats["finished"] == 2
    assert stats["digitised"] == 1


def test_procedures_lists_the_current_catalog(client: Client) -> None:
    procedures = client.get("/api/v1/procedures").json()
    marriage = next(p for p in procedures if p["code"] == "1.000894")
    assert marriage["time_limit"] == 5 and marriage["time_unit"] == "working_days"
    assert marriage["current"] is True and marriage["sample"] is True
    assert len(procedures) == 16
    assert len(client.get("/api/v1/procedures", params={"include_old": "true"}).json()) == 16
