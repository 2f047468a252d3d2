"""No request the node's API admits writes an event over ``MAX_EVENT_BODY_BYTES``, and one
that would is refused whole.

The largest request is derived from the request Structs themselves (every string at its
``max_length`` or the longest its pattern admits, in the character whose JSON encoding is
longest; every list at its ``max_length``), so raising a cap, or adding a field without
one, fails here before it can make an event no link carries. Timestamps are left out: in
the event they are fixed-length UTC text whatever the request says.

Beyond the request, a reception copies its procedure's name and version from the catalog,
whose import bounds them (``rules.reference_entries``): the largest reception is made with
the longest the import admits. A catalog entry written by other means that would make a
reception too large is refused by the API (400) writing nothing.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
import msgspec.inspect as mi
import pytest

from cli.common import operator
from node import event_log
from node.dossier_service import ReceiveRequest
from node.reference_data import import_catalog
from node.runtime import NodeRuntime
from rules.event_record import MAX_EVENT_BODY_BYTES
from rules.reference_entries import (
    MAX_NAME_CHARS,
    MAX_VERSION_CHARS,
    ProcedureEntry,
    parse_catalog,
)
from rules.transitions import TransitionRequest
from storage.db import scalar
from tests.node.helpers import Client, create

#: Characters the request Structs admit, the longest in JSON first: a control character
#: is escaped as \\u0001 (6 bytes), then 4-, 3-, 2- and 1-byte UTF-8.
_CHARACTERS = ("\x01", "\U0001d54f", "ệ", "é", "9", "a", "+")
#: A string that still matches its pattern at this length has no bound.
_UNBOUNDED = 1 << 20


def _json_size(value: object) -> int:
    return len(msgspec.json.encode(value))


def _longest_match(pattern: str, char: str) -> int:
    """The most repeats of ``char`` that ``pattern`` admits (0 if none)."""
    if not re.search(pattern, char):
        return 0
    low, high = 1, _UNBOUNDED  # re.search admits low repeats; find where it stops
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if re.search(pattern, char * mid) else (low, mid - 1)
    return low


def _longest_text(t: mi.StrType, where: str) -> str:
    assert t.max_length is not None or t.pattern is not None, f"{where}: no max_length"
    options = []
    for char in _CHARACTERS:
        count = _UNBOUNDED if t.pattern is None else _longest_match(t.pattern, char)
        count = count if t.max_length is None else min(count, t.max_length)
        assert count < _UNBOUNDED, f"{where}: its pattern admits any length"
        if count:
            options.append(char * count)
    assert options, f"{where}: no test character matches its pattern"
    return max(options, key=_json_size)


def largest(t: mi.Type, where: str) -> Any:
    """The request value of type ``t`` whose JSON is longest (a plain object)."""
    match t:
        case mi.StructType():
            return {f.encode_name: largest(f.type, f"{where}.{f.name}") for f in t.fields}
        case mi.StrType():
            return _longest_text(t, where)
        case mi.ListType():
            assert t.max_length is not None, f"{where}: a list without max_length"
            return [largest(t.item_type, f"{where}[]")] * t.max_length
        case mi.LiteralType():
            return max(t.values, key=lambda v: _json_size(v))
        case mi.EnumType():
            return max((m.value for m in t.cls), key=_json_size)
        case mi.UnionType():
            if any(isinstance(u, mi.DateTimeType) for u in t.types):
                return None  # a timestamp: fixed-length in the event
            values = [largest(u, where) for u in t.types if not isinstance(u, mi.NoneType)]
            return max(values, key=_json_size)
    raise AssertionError(f"{where}: no largest value known for {t!r}")


def _body_size(rt: NodeRuntime, seq: int) -> int:
    sql = "SELECT LENGTH(body) FROM events WHERE origin = ? AND seq = ?"
    return int(scalar(rt.db.read(), sql, (rt.node_id, seq)) or 0)


def _longest_procedure(rt: NodeRuntime) -> str:
    """A procedure whose name and version are the longest the catalog's import admits, in a
    four-byte character: the most a reception copies from the catalog."""
    text = "\U0001d54f"
    raw = (
        '[[procedure]]\ncode = "9.000001"\n'
        f'version = "{text * MAX_VERSION_CHARS}"\nname = "{text * MAX_NAME_CHARS}"\n'
        'field = "Hộ tịch"\ntime_limit = 5\ntime_unit = "working_days"\n'
        'online_level = "full"\ncomponents = ["Tờ khai"]\n'
    )
    (entry,) = parse_catalog(raw.encode(), "longest.toml")
    with rt.db.write() as conn:
        import_catalog(conn, rt.node_id, operator("test"), [entry])
    return entry.code


def test_the_largest_reception_and_transition_the_api_admits_fit_one_event(
    client: Client, runtime: NodeRuntime
) -> None:
    body = largest(mi.type_info(ReceiveRequest), "ReceiveRequest")
    assert len(body["components"]) == 100 and body["proxy"] is not None  # every cap used
    body["procedure_code"] = _longest_procedure(runtime)  # a code the catalog holds
    body["channel"] = "in_person"  # received now: its transitions follow
    answer = client.post("/api/v1/dossiers", json=body)
    assert answer.status_code == 201, answer.text[:300]
    received = event_log.head_seq(runtime.db.read(), runtime.node_id)
    # About 134,000 bytes today: the components alone are 120,300 (100 x 200 characters,
    # each escaped to 6 bytes), the procedure's name and version 4,200; the limit is 262,144.
    assert _json_size(body["components"]) < _body_size(runtime, received) <= MAX_EVENT_BODY_BYTES

    step = largest(mi.type_info(TransitionRequest), "TransitionRequest")
    for action in ("start", "request_supplement"):  # the note goes into the event
        step["action"] = action
        moved = client.post(f"/api/v1/dossiers/{answer.json()['id']}/transitions", json=step)
        assert moved.status_code == 201, moved.text[:300]
    seq = event_log.head_seq(runtime.db.read(), runtime.node_id)
    assert seq == received + 2
    assert _json_size(step["note"]) < _body_size(runtime, seq) <= MAX_EVENT_BODY_BYTES


def test_a_reception_over_the_limit_is_refused_and_writes_nothing(
    client: Client, runtime: NodeRuntime
) -> None:
    # A catalog entry the import admits (its own event is under the limit) whose name,
    # copied into every reception, leaves no room for the largest request's components.
    entry = ProcedureEntry(
        "9.999999", "1", "Thủ tục " + "x" * (MAX_EVENT_BODY_BYTES - 2048), "Hộ tịch", 5,
        "working_days", "full", ["Tờ khai"],
    )  # fmt: skip
    with runtime.db.write() as conn:
        import_catalog(conn, runtime.node_id, operator("test"), [entry])
    head = event_log.head_seq(runtime.db.read(), runtime.node_id)
    dossiers = scalar(runtime.db.read(), "SELECT COUNT(*) FROM dossiers")
    body = largest(mi.type_info(ReceiveRequest), "ReceiveRequest")
    body.update(procedure_code=entry.code, channel="in_person")

    answer = client.post("/api/v1/dossiers", json=body)

    assert answer.status_code == 400, answer.text[:300]
    detail = answer.json()["detail"]
    assert re.search(
        rf"dossier_received event of \d+ bytes is over the {MAX_EVENT_BODY_BYTES}", detail
    )
    assert event_log.head_seq(runtime.db.read(), runtime.node_id) == head
    assert scalar(runtime.db.read(), "SELECT COUNT(*) FROM dossiers") == dossiers
    assert create(client)["code"].endswith("0001")  # no dossier code was spent either


class _Unbounded(msgspec.Struct):
    names: Annotated[list[Annotated[str, msgspec.Meta(max_length=10)]], msgspec.Meta(max_length=3)]
    note: str


class _AnyLength(msgspec.Struct):
    code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]*$")]


def test_a_field_without_a_cap_fails_the_derivation() -> None:
    with pytest.raises(AssertionError, match=r"_Unbounded\.note: no max_length"):
        largest(mi.type_info(_Unbounded), "_Unbounded")
    with pytest.raises(AssertionError, match=r"_AnyLength\.code: its pattern admits any length"):
        largest(mi.type_info(_AnyLength), "_AnyLength")
