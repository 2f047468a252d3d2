"""MQTT topic names: ``motcua/v1/{node_id}/{up|down}/{lane}``.

Each node owns one subtree. The broker's ACL (see ``sync/broker_config.py``) lets a node
write only under ``.../{its id}/up/#`` and read only ``.../{its id}/down/#``, so the node
id in a topic is what the broker vouches for; the receiver then checks that the payload
names the same node. Parsing is strict because a topic is untrusted input.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final

#: Protocol family and major version; a breaking wire change gets a new prefix, not a flag.
PREFIX: Final = "motcua/v1"

#: Node ids are DNS-label-like: they appear in topics, file names and certificate CNs, so
#: they may never contain ``/``, ``+``, ``#``, upper case or anything that needs escaping.
#: ``\A`` and ``\Z`` (not ``^``/``$``) so that a trailing newline is not accepted.
NODE_ID_PATTERN: Final = r"\A(?!central\Z)[a-z0-9][a-z0-9-]{0,62}\Z"

#: Ids no node may take: "central" is the origin of events appended by the city data
#: centre (see ``rules.event_record.EventRecord.origin``).
RESERVED_NODE_IDS: Final = frozenset({"central"})

_NODE_ID_RE: Final = re.compile(NODE_ID_PATTERN)


class Direction(enum.StrEnum):
    """Which way a message travels, seen from the node."""

    UP = "up"  # node -> city data centre
    DOWN = "down"  # city data centre -> node


class Lane(enum.StrEnum):
    """A stream of messages with its own topic; the sender serves lanes in strict priority."""

    CONTROL = "control"  # acks, resend requests, presence
    EVENTS = "events"  # event batches
    BLOBS = "blobs"  # file chunks


#: Strict priority order: a lane is served only when every lane before it is idle.
LANES_BY_PRIORITY: Final = (Lane.CONTROL, Lane.EVENTS, Lane.BLOBS)

#: What the city receiver subscribes to: every node's upstream lanes.
ALL_UP: Final = f"{PREFIX}/+/{Direction.UP}/#"


#: Retained city receiver state (``wire.CityState``): every node reads it, the city writes
#: it. Four levels, so no node topic (five levels) can ever be this one.
CITY_STATE: Final = f"{PREFIX}/city/state"


class TopicError(ValueError):
    """A topic or node id that does not follow the scheme; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic: whose subtree, which way, which lane."""

    node_id: str
    direction: Direction
    lane: Lane

    def __str__(self) -> str:
        return f"{PREFIX}/{self.node_id}/{self.direction}/{self.lane}"


def is_valid_node_id(node_id: str) -> bool:
    """True when ``node_id`` may name a node (pattern above, not reserved)."""
    return _NODE_ID_RE.match(node_id) is not None


def validate_node_id(node_id: str) -> str:
    """Return ``node_id`` unchanged, or raise ``TopicError`` saying why it is not valid."""
    if node_id in RESERVED_NODE_IDS:
        raise TopicError(f"node id {node_id!r} is reserved")
    if not is_valid_node_id(node_id):
        raise TopicError(
            f"invalid node id {node_id!r}: use 1-63 characters a-z, 0-9 and '-', "
            "starting with a letter or digit"
        )
    return node_id


def up(node_id: str, lane: Lane) -> str:
    """Topic a node publishes ``lane`` messages to."""
    return str(Topic(validate_node_id(node_id), Direction.UP, Lane(lane)))


def down(node_id: str, lane: Lane) -> str:
    """Topic the city publishes ``lane`` messages for ``node_id`` to."""
    return str(Topic(validate_node_id(node_id), Direction.DOWN, Lane(lane)))


def node_down_filter(node_id: str) -> str:
    """Subscription filter for everything the city sends to ``node_id``."""
    return f"{PREFIX}/{validate_node_id(node_id)}/{Direction.DOWN}/#"


def parse(topic: str) -> Topic:
    """Parse a concrete (wildcard-free) topic, or raise ``TopicError``."""
    parts = topic.split("/")
    prefix = PREFIX.split("/")
    if len(parts) != len(prefix) + 3 or parts[: len(prefix)] != prefix:
        raise TopicError(f"topic {topic!r} is not {PREFIX}/<node_id>/<up|down>/<lane>")
    node_id, direction, lane = parts[len(prefix) :]
    try:
        parsed_direction = Direction(direction)
    except ValueError:
        raise TopicError(f"topic {topic!r}: direction {direction!r} is not up or down") from None
    try:
        parsed_lane = Lane(lane)
    except ValueError:
        names = ", ".join(lane.value for lane in Lane)
        raise TopicError(f"topic {topic!r}: unknown lane {lane!r} (lanes: {names})") from None
    try:
        validate_node_id(node_id)
    except TopicError as exc:
        raise TopicError(f"topic {topic!r}: {exc}") from None
    return Topic(node_id, parsed_direction, parsed_lane)
