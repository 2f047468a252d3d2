"""Every event the node writes is at most ``MAX_EVENT_BODY_BYTES``: a larger one (which
could never replicate) is refused with a clear error and nothing is written."""

from __future__ import annotations

import pytest

from node import event_log
from node.runtime import NodeRuntime
from rules.event_kinds import ProcedureUpserted
from rules.event_record import MAX_EVENT_BODY_BYTES, EventTooLarge
from storage.db import scalar


def _procedure(component_bytes: int) -> ProcedureUpserted:
    return ProcedureUpserted(
        "1.000894", "9", "Đăng ký khai sinh", "Hộ tịch", 1, "working_days", "full",
        ["x" * component_bytes],
    )  # fmt: skip


def test_an_oversize_event_is_refused_and_nothing_is_written(runtime: NodeRuntime) -> None:
    head = event_log.head_seq(runtime.db.read(), runtime.node_id)
    refused = pytest.raises(EventTooLarge, match=r"procedure_upserted event of \d+ bytes is over")
    with refused, runtime.db.write() as conn:
        event_log.append(conn, runtime.node_id, "catalog", _procedure(5 << 20), "t")
    assert event_log.head_seq(runtime.db.read(), runtime.node_id) == head
    assert scalar(runtime.db.read(), "SELECT COUNT(*) FROM events WHERE seq > ?", (head,)) == 0


def test_an_event_at_the_limit_is_written(runtime: NodeRuntime) -> None:
    with runtime.db.write() as conn:
        record = event_log.append(
            conn, runtime.node_id, "catalog", _procedure(MAX_EVENT_BODY_BYTES - 400), "t"
        )
    assert len(record.body) <= MAX_EVENT_BODY_BYTES
