"""The city's one status snapshot: its store, the broker link, every node's lag, rejections.

``/healthz`` and ``/metrics`` (web.health.metrics) read :func:`city_health`; a city page that
shows the nodes' state reads the same. It never raises for a store that is down: that is
what it reports (``store_unreachable``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import msgspec

from central.runtime import CentralRuntime
from central.store import NodeRow, StoreError
from rules.clock import from_utc_iso, to_utc_iso, utc_now
from storage.faults import FaultState, StorageFaults
from web.health.problems import Problem, Status, healthz_problems, overall, storage_problems

ReceiverStatus = Callable[[], dict[str, object]]


class NodeLag(msgspec.Struct, frozen=True):
    node_id: str
    online: bool
    lag_events: int  # the node's events not here yet, by its last report
    down_pending: int  # the city's events the node has not applied yet
    last_seen_age_seconds: float | None
    diverged: bool


class CityHealth(msgspec.Struct, frozen=True):
    status: Status
    problems: list[Problem]
    name: str
    store: str
    checked_at: str  # UTC ISO
    storage: FaultState
    schema: str = ""
    nodes: list[NodeLag] = msgspec.field(default_factory=list)
    rejections: dict[str, int] = msgspec.field(default_factory=dict)  # by reason, for good
    process: dict[str, int] = msgspec.field(default_factory=dict)  # this process's counters
    mqtt: dict[str, object] | None = None  # the receiver's link (None: not in this process)


def _lag(row: NodeRow, now: datetime) -> NodeLag:
    age = (now - from_utc_iso(row.last_seen)).total_seconds() if row.last_seen else None
    return NodeLag(
        row.node_id,
        row.online,
        row.pending_estimate,
        row.down_pending,
        None if age is None else round(max(0.0, age), 1),
        row.diverged_at is not None,
    )


def city_health(
    central: CentralRuntime, faults: StorageFaults, receiver: ReceiverStatus | None
) -> CityHealth:
    now = utc_now()
    storage = faults.state()
    problems = storage_problems(storage)
    mqtt = receiver() if receiver is not None else None
    if mqtt is not None and not mqtt.get("subscribed"):
        problems.append(
            Problem("broker_disconnected", "degraded", str(mqtt.get("last_error") or ""))
        )
    base = CityHealth(
        status="ok",
        problems=[],
        name=central.name,
        store=central.store.kind,
        checked_at=to_utc_iso(now),
        storage=storage,
        process=central.handler.counters(),
        mqtt=mqtt,
    )
    try:
        schema = central.store.schema_version()
        nodes = [_lag(r, now) for r in central.store.list_nodes()]
        rejections: dict[str, int] = {}
        for r in central.store.rejection_counts():
            rejections[r.reason] = rejections.get(r.reason, 0) + r.count
    except StoreError as exc:
        problems.append(Problem("store_unreachable", "error", str(exc)))
        return msgspec.structs.replace(base, status=overall(problems), problems=problems)
    diverged = [n.node_id for n in nodes if n.diverged]
    if diverged:
        problems.append(
            Problem("node_diverged", "degraded", "log diverged: " + ", ".join(diverged))
        )
    return msgspec.structs.replace(
        base,
        status=overall(problems),
        problems=problems,
        schema=schema,
        nodes=nodes,
        rejections=dict(sorted(rejections.items())),
    )


def healthz_body(health: CityHealth) -> dict[str, object]:
    """``GET /healthz`` at the city: the fields it always had, plus what is wrong."""
    return {
        "status": health.status,
        "name": health.name,
        "store": health.store,
        "schema": health.schema,
        "nodes": len(health.nodes),
        "mqtt": health.mqtt,
        **healthz_problems(health.problems, health.storage),
    }
