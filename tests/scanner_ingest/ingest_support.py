"""Shared by the ingest tests: a node with drop folders, dossiers, and polling the outcome."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import tomli_w

from node.dossier_service import PersonIn, ReceiveRequest, receive
from node.runtime import NodeRuntime, open_node
from rules.permissions import seeding_machine
from scanner_ingest.pdf_worker import PdfWorker
from scanner_ingest.quarantine.move import REASON_SUFFIX, QuarantineRecord
from scanner_ingest.service import IngestService
from storage.db import scalar
from tests.support.wait import WaitTimeout, wait_until

_reason = msgspec.json.Decoder(QuarantineRecord)

STABLE = 0.3  # seconds a file must stay unchanged in these tests


def configure(node_dir: Path, folders: list[dict[str, Any]], **ingest: Any) -> None:
    """Append an [ingest] section with ``folders`` to the node's motcua.toml."""
    section = {"ingest": {**ingest, "folder": folders}}
    with (node_dir / "motcua.toml").open("a", encoding="utf-8") as f:
        f.write("\n" + tomli_w.dumps(section))


def folder(path: Path, **settings: Any) -> dict[str, Any]:
    return {"path": str(path), "stable_seconds": STABLE, **settings}


def new_dossier(rt: NodeRuntime, name: str = "Nguyễn Văn A") -> tuple[str, str]:
    """A received dossier: (id, code)."""
    state = receive(
        rt,
        ReceiveRequest(
            procedure_code="1.000894", applicant=PersonIn(full_name=name), channel="in_person"
        ),
        seeding_machine("test"),
    )
    return state.id, state.code


@contextmanager
def running(rt: NodeRuntime, pdf: PdfWorker | None = None) -> Iterator[IngestService]:
    service = IngestService(rt, pdf=pdf)
    service.start()
    try:
        yield service
    finally:
        service.stop()


def count(rt: NodeRuntime, sql: str, args: tuple[object, ...] = ()) -> int:
    return int(scalar(rt.db.read(), sql, args))


def _state(rt: NodeRuntime) -> str:
    rows = rt.db.read().execute(
        "SELECT name, outcome, reason, disposed_at IS NOT NULL FROM scan_receipts"
    )
    return "receipts (name, outcome, reason, disposed): " + repr([tuple(r) for r in rows])


def wait_receipts(rt: NodeRuntime, n: int, timeout: float = 30.0, **where: str) -> None:
    sql = "SELECT COUNT(*) FROM scan_receipts WHERE 1 = 1" + "".join(f" AND {k} = ?" for k in where)
    try:
        wait_until(lambda: count(rt, sql, tuple(where.values())) >= n, timeout=timeout)
    except WaitTimeout as exc:
        raise WaitTimeout(f"{exc}: {n} receipts {where}; {_state(rt)}") from None


def wait_disposed(rt: NodeRuntime, n: int, timeout: float = 30.0) -> None:
    sql = "SELECT COUNT(*) FROM scan_receipts WHERE disposed_at IS NOT NULL"
    try:
        wait_until(lambda: count(rt, sql) >= n, timeout=timeout)
    except WaitTimeout as exc:
        raise WaitTimeout(f"{exc}: {n} sources disposed of; {_state(rt)}") from None


def files(directory: Path) -> list[Path]:
    """Regular files under ``directory``, sorted, hidden ones included."""
    return sorted(p for p in directory.rglob("*") if p.is_file())


def start_ingest(
    node_dir: Path, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``motcua ingest`` as a real process (its output appended to ``log``)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "ingest", "--data-dir", str(node_dir)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )


READY_LINE = "ingest: watching"


def start_ingest_ready(node_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    """``motcua ingest`` started and past installing its signal handlers (its ready line is in
    ``log``), so a SIGTERM from the test is a clean stop, never the default kill."""
    offset = log.stat().st_size if log.exists() else 0
    process = start_ingest(node_dir, log)

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"ingest exited with {process.returncode}: {log.read_text()}")
        with log.open("rb") as f:
            f.seek(offset)
            return READY_LINE.encode() in f.read()

    wait_until(ready, timeout=60, what="ingest to start")
    return process


def stop(process: subprocess.Popen[bytes], timeout: float = 60.0) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return process.wait(timeout)


def reopen(node_dir: Path) -> NodeRuntime:
    return open_node(node_dir)


@dataclass(frozen=True)
class ReasonFile:
    path: Path  # the quarantined file the record is beside
    record: QuarantineRecord


def reason_files(qdir: Path) -> list[ReasonFile]:
    """The ``.reason.json`` records in a quarantine folder, oldest first: what staff who open
    the share read (the node itself never reads them)."""
    if not qdir.is_dir():
        return []
    found = [
        ReasonFile(p.with_name(p.name.removesuffix(REASON_SUFFIX)), _reason.decode(p.read_bytes()))
        for p in qdir.iterdir()
        if p.name.endswith(REASON_SUFFIX) and not p.name.startswith(".")
    ]
    return sorted(found, key=lambda q: (q.record.quarantined_at, q.record.file))
