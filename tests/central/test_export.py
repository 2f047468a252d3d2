"""The city's export file (``central/export_db.py``) on both stores: its tables, keys and
indexes, the figures, personal data left out unless asked, the date range, and a file that
is whole or absent."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from central.export_db import ExportError, ExportRequest, export
from central.message_handler import MessageHandler
from central.store import CentralStore, StoreError
from rules.event_kinds import LookupPinIssued, Person, decode_body, encode_body
from rules.event_record import EventRecord
from rules.indicators import compute
from rules.projection import DossierState
from sync import wire
from tests.central.fake_node import T0, FakeNode

NOW = datetime(2027, 3, 15, 3, 0, tzinfo=UTC)
#: Every personal value the fixture's dossiers hold (applicant, proxy, notes, file names).
PERSONAL = (
    "Nguyễn Văn Đức",
    "001099012345",
    "0912345678",
    "Thôn 1",
    "Trần Thị Bích",
    "079188001122",
    "0987654321",
    "Số 5 Lý Thường Kiệt",
    "gọi 0911222333 gặp chị Hoa",
    "CCCD_Nguyen_Van_Duc.pdf",
)
PIN = "739164"
TABLES = {
    "export_info",
    "nodes",
    "dossiers",
    "events",
    "documents",
    "indicators",
    "city_indicators",
}


def replicate(handler: MessageHandler, node: FakeNode) -> None:
    out = handler.handle(*node.batch(1, len(node.log)))
    assert isinstance(out[0].message, wire.EventAck), out


def rewrite_last(node: FakeNode, **fields: object) -> None:
    """Give the node's last event other field values (the fake node writes no proxy, no
    note and a plain file name)."""
    record = node.log[-1]
    body = msgspec.structs.replace(decode_body(record.body), **fields)
    node.log[-1] = msgspec.structs.replace(record, body=encode_body(body))


def with_proxy(node: FakeNode) -> str:
    """A dossier brought by a proxy, with a note that quotes a phone, a PIN and a named scan."""
    dossier = node.receive()
    rewrite_last(
        node, proxy=Person("Trần Thị Bích", "079188001122", "0987654321", "Số 5 Lý Thường Kiệt")
    )
    node.transition(dossier, "start", 2, 4)
    rewrite_last(node, note="gọi 0911222333 gặp chị Hoa")
    node._append(dossier, LookupPinIssued(dossier, PIN))
    node.attach(dossier, b"%PDF-1.4 scan of an ID card")
    rewrite_last(node, filename="CCCD_Nguyen_Van_Duc.pdf")
    return dossier


@pytest.fixture
def filled(handler: MessageHandler) -> tuple[CentralStore, dict[str, list[str]]]:
    """Two communes: one with three dossiers (one in March), one with an online submission."""
    an_binh = FakeNode("xa-an-binh")
    first = with_proxy(an_binh)
    second = an_binh.receive()
    an_binh.transition(second, "start", 2, 4)
    an_binh.transition(second, "resolve", 4, 9)
    an_binh.clock = T0 + timedelta(days=30)  # received in March (office time)
    third = an_binh.receive()
    replicate(handler, an_binh)
    hoa_binh = FakeNode("phuong-hoa-binh")
    online = hoa_binh.receive(channel="online")
    received = hoa_binh.receive()
    replicate(handler, hoa_binh)
    return handler.store, {
        "xa-an-binh": [first, second, third],
        "phuong-hoa-binh": [online, received],
    }


def read(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r["name"] for r in conn.execute(f"PRAGMA table_info({table})")]


def test_the_export_holds_every_table_with_keys_and_indexes(
    filled: tuple[CentralStore, dict[str, list[str]]], tmp_path: Path
) -> None:
    store, ids = filled
    out = tmp_path / "city.db"
    summary = export(store, ExportRequest(out), NOW)
    assert (summary.nodes, summary.dossiers, summary.documents) == (2, 5, 1)
    assert summary.events == 10  # 4 + 3 + 1 at An Bình, 2 at Hòa Bình
    with read(out) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert names == TABLES
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        keys = {
            (table, r["from"], r["table"], r["to"])
            for table in ("dossiers", "events", "documents", "indicators")
            for r in conn.execute(f"PRAGMA foreign_key_list({table})")
        }
        assert keys == {
            ("dossiers", "node_id", "nodes", "node_id"),
            ("events", "node_id", "nodes", "node_id"),
            ("events", "dossier_id", "dossiers", "id"),
            ("documents", "event_id", "events", "id"),
            ("documents", "dossier_id", "dossiers", "id"),
            ("documents", "node_id", "nodes", "node_id"),
            ("indicators", "node_id", "nodes", "node_id"),
        }
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"idx_dossiers_node_id_received_at", "idx_events_dossier_id_recorded_at"} <= indexes
        exported = {
            r["node_id"]: r["n"]
            for r in conn.execute("SELECT node_id, COUNT(*) AS n FROM dossiers GROUP BY node_id")
        }
        assert exported == {"xa-an-binh": 3, "phuong-hoa-binh": 2}
        resolved = conn.execute("SELECT * FROM dossiers WHERE id = ?", (ids["xa-an-binh"][1],))
        row = dict(resolved.fetchone())
        assert (row["status"], row["status_name"], row["timeliness"]) == (
            9,
            "Đã xử lý xong",
            "early",
        )
        node = dict(conn.execute("SELECT * FROM nodes WHERE node_id = 'xa-an-binh'").fetchone())
        assert (node["dossiers"], node["in_progress"], node["events_held"]) == (3, 2, 8)
        info = dict(conn.execute("SELECT key, value FROM export_info").fetchall())
        assert info["store"] == store.kind and info["with_personal_data"] == "no"


def test_indicators_per_commune_and_month_are_the_rules_figures(
    filled: tuple[CentralStore, dict[str, list[str]]], tmp_path: Path
) -> None:
    store, _ = filled
    out = tmp_path / "city.db"
    export(store, ExportRequest(out), NOW)
    with read(out) as conn:
        rows = conn.execute(
            "SELECT node_id, month, received, resolved, finished, early FROM indicators "
            "ORDER BY node_id, month"
        ).fetchall()
        city = conn.execute("SELECT month, received FROM city_indicators ORDER BY month")
        city_rows = [tuple(r) for r in city.fetchall()]
    assert [tuple(r) for r in rows] == [
        ("phuong-hoa-binh", "2027-02", 1, 0, 0, 0),
        ("phuong-hoa-binh", "2027-03", 0, 0, 0, 0),
        ("xa-an-binh", "2027-02", 2, 1, 1, 1),
        ("xa-an-binh", "2027-03", 1, 0, 0, 0),
    ]
    assert city_rows == [("2027-02", 3), ("2027-03", 1)]
    feb = compute(
        store.dossier_states("xa-an-binh"),
        datetime(2027, 1, 31, 17, 0, tzinfo=UTC),
        datetime(2027, 2, 28, 17, 0, tzinfo=UTC),
        NOW,
    )
    assert (feb.received, feb.resolved, feb.early) == (2, 1, 1)


def file_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def test_no_personal_data_unless_asked_and_never_the_pin(
    filled: tuple[CentralStore, dict[str, list[str]]], tmp_path: Path
) -> None:
    store, ids = filled
    public = tmp_path / "public.db"
    export(store, ExportRequest(public), NOW)
    text = file_text(public)
    for value in (*PERSONAL, PIN):
        assert value not in text, value
    assert "Đăng ký kết hôn" in text  # the file is searchable text: the check can fail
    with read(public) as conn:
        assert not {"applicant_name", "proxy_phone"} & set(columns(conn, "dossiers"))
        assert "note" not in columns(conn, "events")
        assert "filename" not in columns(conn, "documents")

    private = tmp_path / "private.db"
    export(store, ExportRequest(private, personal=True), NOW)
    text = file_text(private)
    for value in PERSONAL:
        assert value in text, value
    assert PIN not in text
    assert private.stat().st_mode & 0o777 == 0o600
    with read(private) as conn:
        row = conn.execute(
            "SELECT applicant_name, proxy_name, proxy_address FROM dossiers WHERE id = ?",
            (ids["xa-an-binh"][0],),
        ).fetchone()
        assert tuple(row) == ("Nguyễn Văn Đức", "Trần Thị Bích", "Số 5 Lý Thường Kiệt")
        note = conn.execute("SELECT note FROM events WHERE action = 'start' AND note != ''")
        assert note.fetchone()[0] == "gọi 0911222333 gặp chị Hoa"


def test_the_range_keeps_dossiers_received_in_it_and_their_events(
    filled: tuple[CentralStore, dict[str, list[str]]], tmp_path: Path
) -> None:
    store, ids = filled
    out = tmp_path / "march.db"
    march = ExportRequest(
        out, received_from="2027-02-28T17:00:00Z", received_to="2027-03-31T17:00:00Z"
    )
    summary = export(store, march, NOW)
    assert (summary.dossiers, summary.events, summary.months) == (1, 1, 1)
    with read(out) as conn:
        assert [r[0] for r in conn.execute("SELECT id FROM dossiers")] == [ids["xa-an-binh"][2]]
        assert [r[0] for r in conn.execute("SELECT month FROM city_indicators")] == ["2027-03"]
        assert conn.execute("SELECT COUNT(*) FROM nodes").fetchone()[0] == 2


def test_refusals_write_nothing(
    filled: tuple[CentralStore, dict[str, list[str]]], tmp_path: Path
) -> None:
    store, _ = filled
    out = tmp_path / "city.db"
    out.write_bytes(b"an earlier export")
    with pytest.raises(ExportError, match="already exists; give --force"):
        export(store, ExportRequest(out), NOW)
    assert out.read_bytes() == b"an earlier export"
    reversed_range = ExportRequest(
        tmp_path / "r.db", received_from="2027-03-01T00:00:00Z", received_to="2027-02-01T00:00:00Z"
    )
    with pytest.raises(ExportError, match="must come before --to"):
        export(store, reversed_range, NOW)
    with pytest.raises(ExportError, match="no such directory"):
        export(store, ExportRequest(tmp_path / "missing" / "x.db"), NOW)
    with pytest.raises(ExportError, match="is a directory"):
        export(store, ExportRequest(tmp_path), NOW)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".db")) == ["city.db"]
    export(store, ExportRequest(out, force=True), NOW)
    with read(out) as conn:
        assert conn.execute("SELECT COUNT(*) FROM dossiers").fetchone()[0] == 5


class StoreFailingMidway:
    """The real store, whose second node's log cannot be read (the database went away)."""

    def __init__(self, store: CentralStore) -> None:
        self._store = store
        self.kind = store.kind
        self._logs = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def list_nodes(self) -> list[object]:
        return self._store.list_nodes()  # type: ignore[return-value]

    def dossier_states(self, node_id: str | None) -> list[DossierState]:
        return self._store.dossier_states(node_id)

    def node_log(self, node_id: str) -> list[EventRecord]:
        self._logs += 1
        if self._logs == 2:
            raise StoreError("the store went away")
        return self._store.node_log(node_id)


def test_a_failure_midway_leaves_no_file_and_no_temporary(
    filled: tuple[CentralStore, dict[str, list[str]]], tmp_path: Path
) -> None:
    store, _ = filled
    out = tmp_path / "exports" / "city.db"
    out.parent.mkdir()
    with pytest.raises(StoreError, match="went away"):
        export(StoreFailingMidway(store), ExportRequest(out), NOW)  # type: ignore[arg-type]
    assert list(out.parent.iterdir()) == []


def test_an_empty_city_exports_empty_tables(store: CentralStore, tmp_path: Path) -> None:
    out = tmp_path / "empty.db"
    summary = export(store, ExportRequest(out), NOW)
    assert (summary.nodes, summary.dossiers, summary.months) == (0, 0, 1)
    with read(out) as conn:
        assert conn.execute("SELECT COUNT(*) FROM dossiers").fetchone()[0] == 0
        assert "applicant_name" not in columns(conn, "dossiers")
