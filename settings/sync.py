"""Replication to the city (``[sync]`` of the node's config) and the broker address."""

from __future__ import annotations

from urllib.parse import urlsplit

import msgspec

from settings.loading import ConfigError


class SyncSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # "" = no replication; "mqtt://host:1883" or "mqtts://host:8883" (then ca/cert/key files).
    broker: str = ""
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    # Files go up in chunks of this many bytes, each acknowledged by the city.
    chunk_size: int = 256 * 1024
    # Upstream bandwidth cap for everything the node sends, bytes per second; 0 = none.
    bandwidth_bytes_per_s: int = 0
    # Events per MQTT message, and batches in flight before the sender waits for an ack.
    batch_events: int = 500
    window_batches: int = 8
    # An unacknowledged batch is sent again after this long, counted from when the broker
    # had it (the link may have lost it): the first timeout, then adapted to the measured
    # round trip as TCP does.
    ack_timeout_seconds: float = 15.0
    # Alarm "connected but not draining" when nothing was acknowledged for this long.
    stall_alarm_seconds: float = 120.0
    # Alarm "clock_off" when the city's acks show this clock off by more than this; while
    # it is raised, receptions and transitions are refused (their times would be wrong).
    clock_alarm_seconds: float = 120.0


class BrokerAddress(msgspec.Struct, frozen=True):
    host: str
    port: int
    tls: bool


def broker_address(url: str) -> BrokerAddress:
    """``mqtt://host[:1883]`` or ``mqtts://host[:8883]``; ValueError says what is wrong.

    The one parser of a broker URL: the node's ``sync.broker`` and the city's ``broker.url``.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{url!r}: {exc}") from None
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValueError(f"{url!r} must start with mqtt:// or mqtts://")
    if not parts.hostname:
        raise ValueError(f"{url!r} names no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{url!r} takes no user, path or query: only scheme, host and port")
    tls = parts.scheme == "mqtts"
    return BrokerAddress(parts.hostname, port or (8883 if tls else 1883), tls)


def validate_sync(sync: SyncSettings, source: str) -> None:
    if not sync.broker:
        return
    try:
        address = broker_address(sync.broker)
    except ValueError as exc:
        raise ConfigError(f"{source}: sync.broker: {exc}") from exc
    if address.tls and not (sync.ca_file and sync.cert_file and sync.key_file):
        raise ConfigError(
            f"{source}: sync.broker is mqtts://, so sync.ca_file, sync.cert_file "
            "and sync.key_file are needed (see 'motcua pki issue-node')"
        )
    limits = {
        "sync.chunk_size": (sync.chunk_size, 1024, 2 * 1024 * 1024),
        "sync.batch_events": (sync.batch_events, 1, 5000),
        "sync.window_batches": (sync.window_batches, 1, 64),
        "sync.bandwidth_bytes_per_s": (sync.bandwidth_bytes_per_s, 0, 10**10),
        "sync.clock_alarm_seconds": (sync.clock_alarm_seconds, 5, 86400),
    }
    for key, (value, low, high) in limits.items():
        if not low <= value <= high:
            raise ConfigError(f"{source}: {key} = {value} must be between {low} and {high}")
