"""The replication wire format: MessagePack-encoded msgspec tagged unions.

Every MQTT payload is exactly one ``Message``: a msgspec struct encoded as an array whose
first item is the tag (e.g. ``["ack", "xa-1", "xa-1", 42]``). Every message names its
``node_id`` so the receiver can check it against the node id in the topic, which the
broker's ACL ties to the sender's certificate.

Evolution rule (the wire is shared by nodes and a city data centre upgraded at different
times; ``rules/event_record.py`` follows the same rule):

* a new field goes last and has a default, so an older decoder ignores it and a newer
  decoder reading an older message fills in the default;
* never reorder, remove or retype a field, and never change a tag;
* a new message type gets a new tag; an older receiver rejects it with ``WireError``,
  logs and drops it, so a new type must never be needed for old peers to make progress;
* anything incompatible moves to a new topic prefix (``motcua/v2``), see ``sync/topics.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Final

import msgspec

from rules.clock import UTC_TEXT, parse_utc_text
from rules.event_record import EventRecord
from sync.topics import NODE_ID_PATTERN, Direction, Lane

#: Largest payload accepted or produced, checked before decoding so a hostile or broken
#: peer cannot make us allocate for a huge message. 16x the default 256 KiB blob chunk.
MAX_PAYLOAD: Final = 4 * 1024 * 1024

#: Largest seq or byte count on the wire: fits a signed 64-bit column with room to spare.
MAX_SEQ: Final = 2**62

#: A node id as in ``sync/topics.py`` (never "central").
NodeId = Annotated[str, msgspec.Meta(pattern=NODE_ID_PATTERN)]
#: Whose sequence a seq belongs to: a node id, or "central" for the city data centre.
Origin = Annotated[str, msgspec.Meta(pattern=r"\A[a-z0-9][a-z0-9-]{0,62}\Z")]
#: A position in an origin's event log; the first event is 1.
Seq = Annotated[int, msgspec.Meta(ge=1, le=MAX_SEQ)]
#: A cumulative position: everything up to and including it; 0 means nothing yet.
UptoSeq = Annotated[int, msgspec.Meta(ge=0, le=MAX_SEQ)]
#: Byte count or byte offset within a file.
ByteCount = Annotated[int, msgspec.Meta(ge=0, le=MAX_SEQ)]
#: Lower-case hex SHA-256 of a whole file; files are identified by content.
Sha256Hex = Annotated[str, msgspec.Meta(pattern=r"\A[0-9a-f]{64}\Z")]
#: An event id as an ``EventRecord`` carries it (a UUID), or "" for none.
EventIdText = Annotated[str, msgspec.Meta(max_length=64)]
#: UTC instant, ISO 8601 with "Z" (same convention as ``EventRecord.recorded_at``).
UtcTimestamp = Annotated[str, msgspec.Meta(pattern=UTC_TEXT.pattern)]


def _check_instant(field: str, text: str) -> None:
    """The pattern admits ``2027-13-45T99:99:99Z``; a timestamp must also be a real instant."""
    try:
        parse_utc_text(text)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None


class WireError(ValueError):
    """A payload that is not a valid message: oversize, not MessagePack, or wrong shape."""


def _check_run(events: list[EventRecord], origin: str, first_seq: int) -> None:
    """A batch is a non-empty run ``first_seq, first_seq + 1, ...`` of one origin's events."""
    if not events:
        raise ValueError("a batch needs at least one event")
    for offset, event in enumerate(events):
        if event.origin != origin:
            raise ValueError(f"event {offset} has origin {event.origin!r}, batch is {origin!r}")
        if event.seq != first_seq + offset:
            raise ValueError(f"event {offset} has seq {event.seq}, expected {first_seq + offset}")


class EventBatch(msgspec.Struct, frozen=True, array_like=True, tag="batch"):
    """A run of the node's own events, oldest first (node -> city, events lane)."""

    node_id: NodeId  # the sending node, which is also the origin of every event
    first_seq: Seq  # seq of events[0]; the batch has no gaps
    events: list[EventRecord]  # one or more events, seqs first_seq, first_seq + 1, ...

    def __post_init__(self) -> None:
        _check_run(self.events, self.node_id, self.first_seq)


class EventAck(msgspec.Struct, frozen=True, array_like=True, tag="ack"):
    """The city has durably stored ``origin``'s events up to ``upto_seq`` (city -> node)."""

    node_id: NodeId  # the node the ack is addressed to
    origin: Origin  # whose events are acknowledged (the node's own id)
    upto_seq: UptoSeq  # cumulative: every seq <= upto_seq is stored
    # A node restored from an old backup has other events at the city's seqs: the id tells
    # the city's copy from its own.
    upto_id: EventIdText = ""  # id of the event held at upto_seq ("" for 0 or an older city)
    # The node measures its clock against it over the round trip (rules/clock_offset.py).
    city_time: str = ""  # the city's clock when it answered, UTC ISO; "" from an older city
    # A node reconnecting gets acks the broker queued while it was away, stamped before its
    # new Birth left: timed against that Birth they read as a clock minutes ahead.
    birth_bd_seq: UptoSeq = 0  # the Birth this answers; 0: batches, or an older city

    def __post_init__(self) -> None:
        if self.city_time:
            _check_instant("city_time", self.city_time)


class ResendRequest(msgspec.Struct, frozen=True, array_like=True, tag="resend"):
    """Send ``origin``'s events again starting at ``from_seq`` (either direction, control)."""

    node_id: NodeId  # the node this exchange is with (the topic's node id)
    origin: Origin  # whose sequence has the gap
    from_seq: Seq  # first seq the asker is missing: its last contiguous seq + 1
    # Only a Birth's answer can know that the asker lost what it acknowledged (a city
    # restored from an old copy, told by the Birth's ``acked_seq``); any other request
    # may be stale (several receivers answer out of order): see NodeLink._on_resend_request.
    rewind: bool = False  # True: the asker lost what it acked; the sender's mark goes back
    # Several receivers may store one node's batches out of order: the sender must know
    # which batch a gap refused to send it again (uplink/gap_replies.py).
    refused_seq: UptoSeq = 0  # first seq of the batch refused as a gap; 0: none refused


class ChunkOffer(msgspec.Struct, frozen=True, array_like=True, tag="offer"):
    """The node wants to send a file; the city answers with a ``ChunkAck`` (blobs lane)."""

    node_id: NodeId  # the sending node
    sha256: Sha256Hex  # hash of the whole file, which also names it
    size: ByteCount  # total file size in bytes


class BlobChunk(msgspec.Struct, frozen=True, array_like=True, tag="chunk"):
    """Bytes ``[offset, offset + len(data))`` of a file (node -> city, blobs lane)."""

    node_id: NodeId  # the sending node
    sha256: Sha256Hex  # hash of the whole file, checked by the receiver at the end
    size: ByteCount  # total file size, repeated so any chunk can start a transfer
    offset: ByteCount  # where ``data`` starts in the file
    data: bytes  # the chunk itself (256 KiB by default, the last one shorter)

    def __post_init__(self) -> None:
        if self.offset + len(self.data) > self.size:
            raise ValueError(
                f"chunk [{self.offset}, {self.offset + len(self.data)}) "
                f"runs past the file size {self.size}"
            )


class ChunkAck(msgspec.Struct, frozen=True, array_like=True, tag="chunk_ack"):
    """How much of a file the city holds durably (city -> node, control lane)."""

    node_id: NodeId  # the node sending the file
    sha256: Sha256Hex  # which file
    next_offset: ByteCount  # bytes [0, next_offset) are stored; send from here (0: restart)
    complete: bool  # True once the whole file is stored and its SHA-256 matched


class Birth(msgspec.Struct, frozen=True, array_like=True, tag="birth"):
    """Presence: the node connected (node -> city, control lane, on every connect)."""

    node_id: NodeId  # the node that came online
    started_at: UtcTimestamp  # when this connection session started; Offline echoes it
    last_seq: UptoSeq  # highest seq in the node's own log, so the city sees the backlog
    software_version: str  # motcua-edge version the node runs
    # The will registered for a connection carries its number too, so a death pairs with
    # exactly its birth (Sparkplug B's bdSeq), whatever the clocks say.
    bd_seq: UptoSeq = 0  # this process's connection number (1, 2, ...); 0: an older node
    # A city holding less than this lost what it acknowledged (restored from an old
    # copy) and says so (``ResendRequest.rewind``).
    acked_seq: UptoSeq = 0  # the node's acknowledged mark when it sent this Birth
    # What the city's communes board shows beside presence, as the node saw it when it
    # sent this Birth (an older node sends none: the board shows "unknown").
    disk_free: ByteCount | None = None  # bytes free on the filesystem of its data directory
    pending_files: UptoSeq = 0  # files the city does not hold yet
    oldest_pending_at: UtcTimestamp | None = None  # when its oldest unsent event was recorded

    def __post_init__(self) -> None:
        _check_instant("started_at", self.started_at)
        if self.oldest_pending_at is not None:
            _check_instant("oldest_pending_at", self.oldest_pending_at)


class Offline(msgspec.Struct, frozen=True, array_like=True, tag="offline"):
    """Presence: the node went away (its MQTT will, or sent itself before a clean stop)."""

    node_id: NodeId  # the node that went offline
    started_at: UtcTimestamp  # the session this will belongs to, to ignore a stale will
    bd_seq: UptoSeq = 0  # the connection it ends: the Birth with the same started_at, bd_seq

    def __post_init__(self) -> None:
        _check_instant("started_at", self.started_at)


class DownBatch(msgspec.Struct, frozen=True, array_like=True, tag="down_batch"):
    """A run of city-side events for one node, oldest first (city -> node, events lane)."""

    node_id: NodeId  # the destination node
    origin: Origin  # whose sequence the events belong to ("central" for the city)
    first_seq: Seq  # seq of events[0]; the batch has no gaps
    events: list[EventRecord]  # one or more events of ``origin``, seqs first_seq, ...

    def __post_init__(self) -> None:
        _check_run(self.events, self.origin, self.first_seq)


class DownAck(msgspec.Struct, frozen=True, array_like=True, tag="down_ack"):
    """The node has durably applied ``origin``'s events up to ``upto_seq`` (node -> city)."""

    node_id: NodeId  # the acknowledging node
    origin: Origin  # whose events are acknowledged
    upto_seq: UptoSeq  # cumulative: every seq <= upto_seq is applied


class LogRequest(msgspec.Struct, frozen=True, array_like=True, tag="log_request"):
    """``motcua reconcile``: the city's copy of this node's own events (node -> city).

    A node restored from an old backup asks for what it lost; the broker's ACL lets it ask
    for its own log only. With ``confirm_seq`` set, the node says it now holds the city's
    event ``confirm_id`` at the city's head: the city checks it and lifts ``diverged_at``.
    """

    node_id: NodeId  # the asking node (its own events only)
    from_seq: Seq  # the first seq wanted
    confirm_seq: UptoSeq = 0  # 0: no claim; else the city's head the node now holds
    confirm_id: EventIdText = ""  # the event id the node holds at confirm_seq


class LogReply(msgspec.Struct, frozen=True, array_like=True, tag="log_reply"):
    """The city's copy of a node's own events from ``first_seq`` (city -> node), with
    the city's head for that node and whether its log is still held diverged."""

    node_id: NodeId  # the node asked for
    first_seq: Seq  # seq of events[0] (events may be empty: nothing held from there)
    events: list[EventRecord]  # the node's own events held by the city, seqs first_seq, ...
    head: UptoSeq  # the highest seq of the node's events the city holds
    head_id: EventIdText  # the id of the event at head ("" when head is 0)
    diverged: bool  # the city still refuses the node's batches (diverged_at set)

    def __post_init__(self) -> None:
        if self.events:
            _check_run(self.events, self.node_id, self.first_seq)


class CityState(msgspec.Struct, frozen=True, array_like=True, tag="city_state"):
    """The city receiver is up (retained on ``topics.CITY_STATE``, city -> every node).

    Sparkplug B's host state: a receiver publishes it, retained, each time it connects,
    with a fresh ``token``. A node that sees a token it has not seen before sends its
    Birth again, so a city started (or restarted) after the node learns it is online.
    """

    online: bool  # always True when a receiver publishes it
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]  # new at each connect


Message = (
    EventBatch
    | EventAck
    | ResendRequest
    | ChunkOffer
    | BlobChunk
    | ChunkAck
    | Birth
    | Offline
    | DownBatch
    | DownAck
    | LogRequest
    | LogReply
)

#: Where each message type may travel; a receiver drops a message seen anywhere else.
ROUTES: Final[Mapping[type[Message], frozenset[tuple[Direction, Lane]]]] = {
    EventBatch: frozenset({(Direction.UP, Lane.EVENTS)}),
    EventAck: frozenset({(Direction.DOWN, Lane.CONTROL)}),
    ResendRequest: frozenset({(Direction.DOWN, Lane.CONTROL), (Direction.UP, Lane.CONTROL)}),
    ChunkOffer: frozenset({(Direction.UP, Lane.BLOBS)}),
    BlobChunk: frozenset({(Direction.UP, Lane.BLOBS)}),
    ChunkAck: frozenset({(Direction.DOWN, Lane.CONTROL)}),
    Birth: frozenset({(Direction.UP, Lane.CONTROL)}),
    Offline: frozenset({(Direction.UP, Lane.CONTROL)}),
    DownBatch: frozenset({(Direction.DOWN, Lane.EVENTS)}),
    DownAck: frozenset({(Direction.UP, Lane.CONTROL)}),
    LogRequest: frozenset({(Direction.UP, Lane.CONTROL)}),
    LogReply: frozenset({(Direction.DOWN, Lane.CONTROL)}),
}

_encoder: Final = msgspec.msgpack.Encoder()
_decoder: Final[msgspec.msgpack.Decoder[Message]] = msgspec.msgpack.Decoder(Message)


def encode(msg: Message) -> bytes:
    """Serialise one message; raise ``WireError`` if it exceeds ``MAX_PAYLOAD``."""
    payload = _encoder.encode(msg)
    if len(payload) > MAX_PAYLOAD:
        raise WireError(
            f"{type(msg).__name__} encodes to {len(payload)} bytes, "
            f"over the {MAX_PAYLOAD}-byte limit: send it in smaller pieces"
        )
    return payload


def decode(payload: bytes) -> Message:
    """Parse one payload, or raise ``WireError`` saying what is wrong with it."""
    if len(payload) > MAX_PAYLOAD:
        raise WireError(f"payload of {len(payload)} bytes is over the {MAX_PAYLOAD}-byte limit")
    try:
        return _decoder.decode(payload)
    except msgspec.ValidationError as exc:
        raise WireError(f"not a valid message: {exc}") from exc
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        # msgspec lets a string that is not UTF-8 escape as UnicodeDecodeError.
        raise WireError(f"not MessagePack: {exc}") from exc


_state_decoder: Final = msgspec.msgpack.Decoder(CityState)


def encode_city_state(state: CityState) -> bytes:
    """Serialise the city's state (not a ``Message``: it names no node, has its own topic)."""
    return _encoder.encode(state)


def decode_city_state(payload: bytes) -> CityState:
    """Parse a ``topics.CITY_STATE`` payload, or raise ``WireError`` saying what is wrong."""
    if len(payload) > 4096:
        raise WireError(f"city state of {len(payload)} bytes is over the 4096-byte limit")
    try:
        return _state_decoder.decode(payload)
    except msgspec.ValidationError as exc:
        raise WireError(f"not a valid city state: {exc}") from exc
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise WireError(f"not MessagePack: {exc}") from exc


def route_allowed(msg: Message, direction: Direction, lane: Lane) -> bool:
    """True when ``msg`` may arrive on a ``direction``/``lane`` topic."""
    return (direction, lane) in ROUTES[type(msg)]
