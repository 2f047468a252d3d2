"""Topic names and node ids: builders, the strict parser, and what it refuses."""

from __future__ import annotations

import pytest

from sync import topics
from sync.topics import Direction, Lane, Topic, TopicError


def test_builders_produce_the_documented_scheme() -> None:
    assert topics.up("xa-an-binh", Lane.EVENTS) == "motcua/v1/xa-an-binh/up/events"
    assert topics.down("xa-an-binh", Lane.CONTROL) == "motcua/v1/xa-an-binh/down/control"
    assert topics.node_down_filter("p1") == "motcua/v1/p1/down/#"
    assert topics.ALL_UP == "motcua/v1/+/up/#"


@pytest.mark.parametrize("lane", list(Lane))
@pytest.mark.parametrize("direction", list(Direction))
def test_parse_inverts_the_builders(direction: Direction, lane: Lane) -> None:
    build = topics.up if direction is Direction.UP else topics.down
    parsed = topics.parse(build("0xa-2", lane))
    assert parsed == Topic("0xa-2", direction, lane)
    assert str(parsed) == build("0xa-2", lane)


def test_lanes_in_strict_priority_order() -> None:
    assert topics.LANES_BY_PRIORITY == (Lane.CONTROL, Lane.EVENTS, Lane.BLOBS)
    assert set(topics.LANES_BY_PRIORITY) == set(Lane)


@pytest.mark.parametrize(
    ("topic", "complaint"),
    [
        ("motcua/v1/a/up", "is not motcua/v1"),
        ("motcua/v1/a/up/events/extra", "is not motcua/v1"),
        ("motcua/v2/a/up/events", "is not motcua/v1"),
        ("/motcua/v1/a/up/events", "is not motcua/v1"),
        ("motcua/v1/a/sideways/events", "direction 'sideways'"),
        ("motcua/v1/a/up/files", "unknown lane 'files'"),
        ("motcua/v1/+/up/events", "invalid node id '+'"),
        ("motcua/v1/#/up/events", "invalid node id '#'"),
        ("motcua/v1/Xa/up/events", "invalid node id 'Xa'"),
        ("motcua/v1//up/events", "invalid node id ''"),
        ("motcua/v1/central/up/events", "reserved"),
    ],
)
def test_parse_rejects_with_a_reason(topic: str, complaint: str) -> None:
    with pytest.raises(TopicError, match=complaint.replace("+", r"\+")):
        topics.parse(topic)


@pytest.mark.parametrize("node_id", ["a", "0", "xa-an-binh", "a" * 63, "p-", "000-00-15-h42"])
def test_valid_node_ids(node_id: str) -> None:
    assert topics.validate_node_id(node_id) == node_id
    assert topics.is_valid_node_id(node_id)


@pytest.mark.parametrize(
    "node_id",
    ["", "-a", "A", "xa_an", "a/b", "a b", "a" * 64, "abc\n", "\nabc", "é", "a.b", "central"],
)
def test_invalid_node_ids(node_id: str) -> None:
    assert not topics.is_valid_node_id(node_id)
    with pytest.raises(TopicError, match="node id"):
        topics.validate_node_id(node_id)
    with pytest.raises(TopicError):
        topics.up(node_id, Lane.EVENTS)
