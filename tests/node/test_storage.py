"""The event log is immutable and dense, the projection is a replay of it, and a damaged
database is a clear error, not a crash loop."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import apsw
import pytest

from cli.common import EXIT_DATABASE_UNUSABLE
from node import dossier_store, event_log
from node.runtime import NodeRuntime, open_node
from node.schema import MIGRATIONS
from rules.event_kinds import DocumentAttached, DossierReceived, DossierTransitioned, decode_body
from rules.projection import DossierState, apply
from storage.db import DatabaseError, connect
from tests.node.helpers import Client, act, create


def motcua(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, timeout=60
    )


def test_events_cannot_be_changed_or_deleted(client: Client, runtime: NodeRuntime) -> None:
    create(client)
    with pytest.raises(apsw.ConstraintError, match="immutable"), runtime.db.write() as conn:
        conn.execute("UPDATE events SET actor = 'someone else'")
    with pytest.raises(apsw.ConstraintError, match="immutable"), runtime.db.write() as conn:
        conn.execute("DELETE FROM events")


def test_seq_cannot_skip_or_repeat(client: Client, runtime: NodeRuntime) -> None:
    create(client)
    head = event_log.head_seq(runtime.db.read(), runtime.node_id)
    record = event_log.after(runtime.db.read(), runtime.node_id, head - 1, 1)[0]
    for seq in (head, head + 2):
        bad = type(record)(
            record.origin,
            seq,
            f"id-{seq}",
            record.stream,
            record.kind,
            record.recorded_at,
            record.actor,
            record.format,
            record.body,
        )
        with pytest.raises(apsw.ConstraintError), runtime.db.write() as conn:
            event_log.insert(conn, bad)
    assert event_log.gaps(runtime.db.read()) == []


def test_projection_is_a_replay_of_the_log(client: Client, runtime: NodeRuntime) -> None:
    for i in range(3):
        d = create(client)
        act(client, d["id"], "start")
        if i == 1:
            act(client, d["id"], "request_supplement", note="thiếu bản sao")
        client.post(
            f"/api/v1/dossiers/{d['id']}/documents",
            files={"file": (f"{i}.pdf", b"%PDF-" + bytes([i]))},
        )
    conn = runtime.db.read()
    replayed: dict[str, DossierState] = {}
    for record in event_log.iter_all(conn):
        body = decode_body(record.body)
        if isinstance(body, DossierReceived | DossierTransitioned | DocumentAttached):
            replayed[body.dossier_id] = apply(
                replayed.get(body.dossier_id),
                body,
                origin=record.origin,
                event_id=record.id,
                recorded_at=record.recorded_at,
            )
    stored = {s.id: s for s in dossier_store.iter_states(conn)}
    assert replayed == stored
    assert len(stored) == 3


def test_migrations_are_recorded_once(runtime: NodeRuntime) -> None:
    rows = list(runtime.db.read().execute("SELECT name FROM _migrations ORDER BY name"))
    assert [r[0] for r in rows] == [name for name, _ in MIGRATIONS]
    open_node(runtime.data_dir).close()  # opening again applies nothing twice
    assert len(list(runtime.db.read().execute("SELECT name FROM _migrations"))) == len(MIGRATIONS)


def _corrupt(db: Path) -> None:
    conn = connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(db.read_bytes())
    page = 4096
    # Overwrite the interior of a few b-tree pages (keep the header so it still opens).
    for offset in range(page * 2, min(len(data), page * 8), page):
        data[offset + 8 : offset + page - 8] = b"\xa5" * (page - 16)
    db.write_bytes(bytes(data))


def test_corrupt_database_is_a_clear_error_and_stops_for_good(node_dir: Path) -> None:
    db = node_dir / "motcua.sqlite3"
    _corrupt(db)
    with pytest.raises(DatabaseError, match=r"motcua\.sqlite3"):
        open_node(node_dir)
    # serve: the database is unusable (restore a backup); check: a report that found damage.
    for command, code in ((["serve", "--port", "1"], EXIT_DATABASE_UNUSABLE), (["check"], 3)):
        result = motcua(*command, "--data-dir", str(node_dir))
        assert result.returncode == code, result.stderr
        assert "motcua: error:" in result.stderr and "motcua.sqlite3" in result.stderr
        assert "Traceback" not in result.stderr


def test_not_a_database_is_a_clear_error(node_dir: Path) -> None:
    (node_dir / "motcua.sqlite3").write_bytes(b"this is not sqlite" * 500)
    for suffix in ("-wal", "-shm"):
        (node_dir / f"motcua.sqlite3{suffix}").unlink(missing_ok=True)
    result = motcua("serve", "--data-dir", str(node_dir), "--port", "1")
    assert result.returncode == EXIT_DATABASE_UNUSABLE
    assert "not a database" in result.stderr and "Traceback" not in result.stderr


def test_systemd_unit_does_not_restart_on_operator_errors() -> None:
    unit = (Path(__file__).parents[2] / "systemd" / "motcua-node.service").read_text()
    assert "RestartPreventExitStatus=3" in unit
    assert "Restart=on-failure" in unit


def test_node_identity_cannot_change(node_dir: Path) -> None:
    config = node_dir / "motcua.toml"
    config.write_text(config.read_text().replace('node_id = "xa-test"', 'node_id = "xa-other"'))
    result = motcua("check", "--data-dir", str(node_dir))
    assert result.returncode == 3
    assert "belongs to node 'xa-test'" in result.stderr


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("port = 8080", "prot = 8080"), "prot"),
        (("port = 8080", 'port = "x"'), "api.port"),
        (("port = 8080", "port = 70000"), "api.port"),
        (
            (
                'periods = [["07:30", "11:30"], ["13:30", "17:00"]]',
                'periods = [["13:30", "11:30"]]',
            ),
            "office_hours.periods",
        ),
        (('agency_code = "000.00.15.H42"', 'agency_code = "bad code"'), "agency_code"),
        (("[api]", "[api"), "not valid TOML"),
    ],
)
def test_config_errors_name_the_key_and_the_file(
    node_dir: Path, edit: tuple[str, str], message: str
) -> None:
    config = node_dir / "motcua.toml"
    text = config.read_text()
    assert edit[0] in text
    config.write_text(text.replace(edit[0], edit[1]))
    result = motcua("serve", "--data-dir", str(node_dir), "--port", "1")
    assert result.returncode == 3
    assert message in result.stderr and "motcua.toml" in result.stderr
    assert "Traceback" not in result.stderr


def test_database_from_a_newer_version_is_refused(node_dir: Path) -> None:
    conn = connect(node_dir / "motcua.sqlite3")
    conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('999_future', 'x')")
    conn.close()
    result = motcua("check", "--data-dir", str(node_dir))
    assert result.returncode == 3
    assert "999_future" in result.stderr and "newer motcua-edge" in result.stderr
