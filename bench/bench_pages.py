"""The staff pages' server time with many dossiers: p50/p95 per page.

    uv run python -m bench.bench_pages                 # 50,000 dossiers, 40 requests a page
    uv run python -m bench.bench_pages --keep /tmp/pg  # keep (and next time reuse) the data

Seeding goes through the node's own write path (code serial, appointment, event append,
projection row), thousands of dossiers per transaction instead of one fsync each; a share
is then started, resolved, returned or asked for a supplement through the lifecycle rules.
One dossier is then refused and one rescheduled (forms 03 and 04), and an account holding
every role is made. The pages are timed against ``motcua serve`` in its own process over HTTP
on 127.0.0.1 (the round trip is the server's time plus loopback), as that user logged in
through ``POST /login`` (a real session cookie, as a browser holds).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import uuid6

from accounts import users
from cli.common import operator
from cli.init_cmd import initialise
from node import dossier_store, event_log, reference_data
from node.appointments import appointment_for
from node.dossier_service import issue_code, transition
from node.runtime import NodeRuntime, open_node
from rules.actor import STAFF_ROLES
from rules.clock import to_utc_iso, utc_now
from rules.event_kinds import DossierEvent, DossierReceived, Person
from rules.lifecycle import Action, Status
from rules.permissions import seeding_machine
from rules.projection import DossierState, apply
from rules.transitions import TransitionRequest, decide_transition
from storage.db import scalar
from tests.support.live_node import start_node

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
MIDDLE = ["Văn", "Thị", "Minh", "Thu", "Hoàng", "Ngọc", "Đức", "Thanh"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Đức", "Giang", "Hoa", "Khánh", "Lan", "Mai", "Nam"]
LIFECYCLES: list[list[Action]] = [
    [],
    [Action.START],
    [Action.START, Action.REQUEST_SUPPLEMENT],
    [Action.START, Action.RESOLVE],
    [Action.START, Action.RESOLVE, Action.RETURN_RESULT],
    [Action.START, Action.RESOLVE, Action.RETURN_RESULT],
    [Action.REFUSE],
    [Action.REQUEST_SUPPLEMENT, Action.STOP],
    # Two supplements: late by Decision 766.
    [Action.START, *[Action.REQUEST_SUPPLEMENT, Action.COMPLETE_SUPPLEMENT] * 2, Action.RESOLVE],
]
BATCH = 2000
USER, PASSWORD = "bench", "mat-khau-bench-trang"
# The dossiers that print forms 03 and 04, found again by the timing run.
FORM_DOSSIERS = "form-dossiers.json"


def _commit(
    rt: NodeRuntime, conn: object, state: DossierState | None, body: DossierEvent, actor: str
) -> DossierState:
    record = event_log.append(conn, rt.node_id, body.dossier_id, body, actor)  # type: ignore[arg-type]
    new = apply(
        state, body, origin=record.origin, event_id=record.id, recorded_at=record.recorded_at
    )
    dossier_store.save(conn, new)  # type: ignore[arg-type]
    return new


def seed(rt: NodeRuntime, count: int, rng: random.Random) -> None:
    conn = rt.db.read()
    procedures = reference_data.list_procedures(conn)
    now = utc_now()
    # Oldest first, so the daily code serials run in order as they would have.
    moments = sorted(now - timedelta(minutes=rng.randrange(1, 300 * 24 * 60)) for _ in range(count))
    calendar = rt.reference.calendar(conn)
    for start in range(0, count, BATCH):
        with rt.db.write() as w:
            for moment in moments[start : start + BATCH]:
                procedure = rng.choice(procedures)
                appointment = appointment_for(rt, conn, procedure, moment, online=False)
                name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
                due = appointment.due_at
                assert due is not None
                body = DossierReceived(
                    dossier_id=str(uuid6.uuid7()),
                    code=issue_code(rt, w, moment),
                    procedure_code=procedure.code,
                    procedure_version=procedure.version,
                    procedure_name=procedure.name,
                    time_limit=procedure.time_limit,
                    time_unit=procedure.time_unit,
                    applicant=Person(name, f"0010{rng.randrange(10**8):08d}", "0912345678"),
                    proxy=None,
                    channel="in_person",
                    components=list(procedure.components),
                    status=int(Status.RECEIVED),
                    submitted_at=to_utc_iso(moment),
                    received_at=to_utc_iso(moment),
                    due_at=to_utc_iso(due),
                    provisional_years=appointment.provisional_years,
                    same_day_cutoff=procedure.same_day_cutoff,
                )
                state = _commit(rt, w, None, body, "bench")
                # Recent dossiers are still open; older ones mostly went their whole way.
                age = (now - moment).days
                steps = rng.choice(LIFECYCLES if age > 20 else LIFECYCLES[:3])
                at = moment
                for action in steps:
                    at = min(now, at + timedelta(hours=rng.randrange(1, 72)))
                    note = "Thiếu giấy tờ"  # the reason forms 02 and 03 print
                    req = TransitionRequest(action=action, note=note)
                    change = decide_transition(state, req, lambda: calendar, at, to_utc_iso(at))
                    state = _commit(rt, w, state, change, "bench")


def finish(rt: NodeRuntime, data_dir: Path) -> None:
    """The staff account, and one dossier refused (form 03), one rescheduled (form 04) and one
    stopped while its supplement was awaited (form 05)."""
    users.add(
        rt.db, operator("bench"), USER, sorted(r.value for r in STAFF_ROLES), PASSWORD, "Bench"
    )
    open_ids = [
        str(r[0]) for r in rt.db.read().execute("SELECT id FROM dossiers WHERE status = 2 LIMIT 2")
    ]
    machine = seeding_machine("bench")
    refuse = TransitionRequest(Action.REFUSE, note="Không thuộc thẩm quyền")
    transition(rt, open_ids[0], refuse, machine)
    later = utc_now() + timedelta(days=10)
    reschedule = TransitionRequest(Action.RESCHEDULE, note="Chờ xác minh", due_at=later)
    transition(rt, open_ids[1], reschedule, machine)
    waiting = scalar(rt.db.read(), "SELECT id FROM dossiers WHERE status = 5 LIMIT 1")
    stop = TransitionRequest(Action.STOP, note="Quá thời hạn bổ sung hồ sơ")
    transition(rt, str(waiting), stop, machine)
    chosen = {"03": open_ids[0], "04": open_ids[1], "05": str(waiting)}
    (data_dir / FORM_DOSSIERS).write_text(json.dumps(chosen))


def prepare(data_dir: Path, count: int) -> None:
    if (data_dir / "ready").exists():
        return
    shutil.rmtree(data_dir, ignore_errors=True)
    initialise(data_dir, "000.00.15.H42", "bench-xa", calendars=True, sample_catalog=True)
    rt = open_node(data_dir)
    started = time.perf_counter()
    try:
        seed(rt, count, random.Random(11))
        finish(rt, data_dir)
    finally:
        rt.close()
    print(f"seeded {count} dossiers in {time.perf_counter() - started:.1f} s")
    (data_dir / "ready").write_text(str(count))


def timed(request: Callable[[], httpx.Response], n: int) -> list[float]:
    for _ in range(3):
        request().raise_for_status()
    times = []
    for _ in range(n):
        begun = time.perf_counter()
        response = request()
        times.append((time.perf_counter() - begun) * 1000)
        assert response.status_code == 200, response.text[:200]
    return times


def log_in(c: httpx.Client) -> None:
    answer = c.post("/login", data={"username": USER, "password": PASSWORD})
    assert answer.status_code == 303 and "motcua_session" in c.cookies, answer.text[:200]


def staff_pages(c: httpx.Client, forms: dict[str, str]) -> dict[str, Callable[[], httpx.Response]]:
    """Every staff page a GET reaches, with the filters staff use most."""
    api = "/api/v1/dossiers"
    one = c.get(api, params={"limit": 1, "status": 5}).json()["items"][0]
    done = c.get(api, params={"limit": 1, "status": 10}).json()["items"][0]
    code = one["procedure_code"]
    forms = {"01": done["id"], "02": one["id"], **forms}

    def get(path: str, **params: str) -> Callable[[], httpx.Response]:
        return lambda: c.get(path, params=params)

    return {
        "list (newest first)": get("/dossiers"),
        "list search 'nguyen van an'": get("/dossiers", q="nguyen van an"),
        "list search by code": get("/dossiers", q=done["code"]),
        "list overdue, by deadline": get("/dossiers", overdue="1", sort="due_asc"),
        "list due today": get("/dossiers", due="today"),
        "list due this week": get("/dossiers", due="week"),
        "list provisional": get("/dossiers", provisional="1"),
        "list status 4 + procedure": get("/dossiers", status="4", procedure=code),
        "list page 800 of 1000": get("/dossiers", offset="40000"),
        "csv overdue": get("/dossiers.csv", overdue="1"),
        "reception form": get("/dossiers/new"),
        "procedure suggestions": get("/dossiers/new/procedures", procedure_q="ket hon"),
        "appointment preview": get("/dossiers/new/details", procedure_code=code),
        "dossier page": get(f"/dossiers/{one['id']}"),
        **{f"form {n}": get(f"/dossiers/{i}/forms/{n}") for n, i in sorted(forms.items())},
        "scans": get("/scans"),
        "sync": get("/sync"),
        "sync panel (htmx refresh)": get("/sync/panel"),
        "indicators (6 months)": get("/indicators"),
        "indicators, 12 months": get("/indicators", **{"from": "2025-01", "to": "2025-12"}),
        "indicators.csv": get("/indicators.csv"),
        "admin": get("/admin"),
        "accounts": get("/admin/accounts"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--keep", type=Path, help="data folder to keep and reuse")
    parser.add_argument("--only", default="", help="time only the pages whose name has this")
    args = parser.parse_args()
    scratch = None if args.keep else tempfile.TemporaryDirectory()
    root = args.keep or Path(scratch.name)  # type: ignore[union-attr]
    data_dir = root / "node"
    prepare(data_dir, args.dossiers)
    forms = json.loads((data_dir / FORM_DOSSIERS).read_text())
    node = start_node(data_dir)
    try:
        with httpx.Client(base_url=node.url, timeout=60) as c:
            log_in(c)
            pages = staff_pages(c, forms)
            print(f"{'page':32} {'p50 ms':>8} {'p95 ms':>8}")
            for name, request in pages.items():
                if args.only in name:
                    times = timed(request, args.requests)
                    p95 = statistics.quantiles(times, n=20)[18]
                    print(f"{name:32} {statistics.median(times):8.1f} {p95:8.1f}", flush=True)
            if not args.only:
                whole = timed(lambda: c.get("/dossiers.csv"), 3)
                label = f"csv, all {args.dossiers}"
                print(f"{label:32} {statistics.median(whole):8.1f}  (3 runs)")
    finally:
        node.stop()
        if scratch is not None:
            scratch.cleanup()


if __name__ == "__main__":
    main()
