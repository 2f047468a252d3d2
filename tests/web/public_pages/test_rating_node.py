"""The satisfaction rating on the node (``/rating``): once per dossier, only once the result
was returned, by code and PIN; the event it writes; and the node's indicators counting it."""

from __future__ import annotations

from typing import Any

from node import event_log, rating_facts
from node.runtime import NodeRuntime
from node.schema import migrate
from rules.actor import Role
from rules.event_kinds import DossierRated, decode_body
from rules.ratings import MAX_COMMENT
from tests.support.staff_client import StaffClientFactory
from tests.web.public_pages.conftest import ORIGIN, Client
from tests.web.public_pages.helpers import received, returned


def rate(public: Client, code: str, pin: str, level: str = "very_satisfied", **extra: str) -> Any:
    data = {"code": code, "pin": pin, "level": level, **extra}
    return public.post("/rating", data=data, headers=ORIGIN)


def ratings_of(runtime: NodeRuntime, dossier_id: str) -> list[DossierRated]:
    bodies = [decode_body(r.body) for r in event_log.for_stream(runtime.db.read(), dossier_id)]
    return [b for b in bodies if isinstance(b, DossierRated)]


def status_and_text(response: Any) -> tuple[int, str]:
    return response.status_code, response.text


def test_the_kiosk_form_is_public_and_prefilled_from_the_query(public: Client) -> None:
    response = public.get("/rating", params={"code": "000.00.15.H42-270201-0001"})
    assert response.status_code == 200 and "set-cookie" not in response.headers
    html = response.text
    assert 'value="000.00.15.H42-270201-0001"' in html
    for label in ("Rất hài lòng", "Hài lòng", "Không hài lòng"):
        assert f"> {label}</label>" in html
    assert "_csrf_token" not in html


def test_a_returned_dossier_is_rated_once_and_the_event_names_the_officer(
    staff: Client, public: Client, runtime: NodeRuntime
) -> None:
    d = returned(staff)
    status, html = status_and_text(
        rate(public, d["code"], d["lookup_pin"], comment=" Nhanh,\r\ngọn ")
    )
    assert status == 200 and "data-rated" in html
    (rating,) = ratings_of(runtime, d["id"])
    assert rating.level == "very_satisfied" and rating.comment == "Nhanh,\ngọn"
    assert rating.returned_by == "tiepnhan" and rating.after is not None
    status, html = status_and_text(rate(public, d["code"], d["lookup_pin"], "dissatisfied"))
    assert status == 409 and "Mỗi hồ sơ chỉ được đánh giá một lần." in html
    assert len(ratings_of(runtime, d["id"])) == 1  # nothing written
    shown = public.get("/lookup", params={"code": d["code"], "pin": d["lookup_pin"]}).text
    assert "Đánh giá mức độ hài lòng" in shown


def test_a_dossier_not_yet_returned_cannot_be_rated(
    staff: Client, public: Client, runtime: NodeRuntime
) -> None:
    d = received(staff)
    status, html = status_and_text(rate(public, d["code"], d["lookup_pin"]))
    assert status == 409 and "Hồ sơ chưa trả kết quả." in html
    assert ratings_of(runtime, d["id"]) == []


def test_a_wrong_pin_is_the_lookup_s_one_answer_and_writes_nothing(
    staff: Client, public: Client, runtime: NodeRuntime
) -> None:
    d = returned(staff)
    wrong = f"{(int(d['lookup_pin']) + 1) % 1_000_000:06d}"
    status, html = status_and_text(rate(public, d["code"], wrong))
    assert status == 404 and "Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này" in html
    status, _ = status_and_text(rate(public, d["code"][:-4] + "9999", wrong))
    assert status == 404
    assert ratings_of(runtime, d["id"]) == []


def test_bad_levels_and_comments_are_refused_with_the_reason(
    staff: Client, public: Client, runtime: NodeRuntime
) -> None:
    d = returned(staff)
    for level, comment, words in (
        ("", "", "Xin chọn một mức"),
        ("excellent", "", "Xin chọn một mức"),
        ("satisfied", "x" * (MAX_COMMENT + 1), f"tối đa {MAX_COMMENT} ký tự"),
        ("satisfied", "a\x00b", "không có ký tự điều khiển"),
    ):
        status, html = status_and_text(
            rate(public, d["code"], d["lookup_pin"], level, comment=comment)
        )
        assert status == 400 and words in html, (level, comment)
    assert ratings_of(runtime, d["id"]) == []
    status, html = status_and_text(rate(public, "", "1", "satisfied"))
    assert status == 400 and "Xin nhập mã hồ sơ" in html


def test_a_post_from_another_site_is_refused(
    staff: Client, public: Client, runtime: NodeRuntime
) -> None:
    d = returned(staff)
    response = public.post(
        "/rating",
        data={"code": d["code"], "pin": d["lookup_pin"], "level": "dissatisfied"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert ratings_of(runtime, d["id"]) == []


def test_the_indicators_page_counts_ratings_per_procedure_and_officer(
    staff: Client, public: Client, staff_client: StaffClientFactory
) -> None:
    first, second, third = returned(staff), returned(staff), returned(staff)
    for d, level in ((first, "very_satisfied"), (second, "satisfied"), (third, "satisfied")):
        assert rate(public, d["code"], d["lookup_pin"], level).status_code == 200
    html = staff_client(Role.LEADER).get("/indicators").text
    overall = html.split('id="ratings-overall"', 1)[1].split("</table>", 1)[0]
    assert '<td class="num">3</td>' in overall and "33.3" in overall and "66.7" in overall
    by_procedure = html.split('id="ratings-procedure"', 1)[1].split("</table>", 1)[0]
    assert 'data-group="1.000894"' in by_procedure
    by_officer = html.split('id="ratings-officer"', 1)[1].split("</table>", 1)[0]
    assert 'data-group="tiepnhan"' in by_officer


def test_the_ratings_migration_fills_rows_from_the_stored_states(
    staff: Client, public: Client, runtime: NodeRuntime
) -> None:
    d = returned(staff)
    assert rate(public, d["code"], d["lookup_pin"], "satisfied").status_code == 200
    before = rating_facts.rated_rows(runtime.db.read(), runtime.node_id)
    assert [(r.level, r.returned_by) for r in before] == [("satisfied", "tiepnhan")]
    with runtime.db.write() as conn:
        conn.execute("DROP TABLE dossier_ratings")
        conn.execute("DELETE FROM _migrations WHERE name = '012_dossier_ratings'")
    assert migrate(runtime.db.read()) == ["012_dossier_ratings"]
    assert rating_facts.rated_rows(runtime.db.read(), runtime.node_id) == before
