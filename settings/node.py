"""The node's settings, read from ``DIR/motcua.toml`` into frozen Structs.

Settings hold values; they never open connections. A typo is an error at start-up that
names the key and the file (``forbid_unknown_fields``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import time
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit

import msgspec
import tomli_w

CONFIG_NAME = "motcua.toml"
DATABASE_NAME = "motcua.sqlite3"

AGENCY_CODE_RE = re.compile(r"^[0-9A-Z]+(\.[0-9A-Z]+)*$")
NODE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
DEFAULT_CODE_PATTERN = "{agency}-{yymmdd}-{serial:04}"

T = TypeVar("T")


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid; the message says where."""


class NodeSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    node_id: str
    agency_code: str
    # Placeholders: {agency}, {yymmdd}, {yyyymmdd}, {serial} (with a format spec, e.g. {serial:04}).
    dossier_code_pattern: str = DEFAULT_CODE_PATTERN


class OfficeHoursSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # Each period is ["HH:MM", "HH:MM"]; periods are ordered and do not overlap.
    periods: list[tuple[str, str]] = msgspec.field(
        default_factory=lambda: [("07:30", "11:30"), ("13:30", "17:00")]
    )

    def as_times(self) -> list[tuple[time, time]]:
        return [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in self.periods]


class ApiSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    host: str = "127.0.0.1"
    port: int = 8080


class DocumentSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # Largest upload accepted, in bytes (default 1 GiB).
    max_upload_bytes: int = 1 << 30


class FolderSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One scanner drop folder (``[[ingest.folder]]``)."""

    # Absolute, or relative to the data directory.
    path: str
    # Recorded as the actor "scanner:<name>"; default: the folder's last path component.
    name: str = ""
    # The document role and copy kind of what this folder's scanner produces.
    role: Literal["component", "result", "supplement"] = "component"
    copy_kind: Literal["original", "certified_copy", "electronic"] = "original"
    # True: poll; False: inotify; absent: poll on network mounts (cifs, nfs, 9p, fuse).
    poll: bool | None = None
    # A file is finished once size and mtime stayed the same for this long.
    stable_seconds: float = 5.0
    # A file still empty or unparseable this long after its last change is quarantined.
    give_up_seconds: float = 1800.0

    def __post_init__(self) -> None:
        if not self.path.strip():
            raise ValueError("ingest.folder.path is empty")
        if not 0 < self.stable_seconds <= self.give_up_seconds:
            raise ValueError(
                "ingest.folder needs 0 < stable_seconds <= give_up_seconds, got "
                f"{self.stable_seconds} and {self.give_up_seconds}"
            )
        name = self.folder_name()
        if not name or len(name) > 50 or "/" in name or not name.isprintable():
            raise ValueError(f"ingest.folder.name {name!r}: 1-50 printable characters, no '/'")

    def folder_name(self) -> str:
        return self.name or Path(self.path.rstrip("/")).name


class IngestSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Scanner drop folders and what happens to their files (``[ingest]``)."""

    folder: list[FolderSettings] = msgspec.field(default_factory=list)
    # Relative: a subfolder of each drop folder; absolute: <path>/<folder name>.
    processed_dir: str = "processed"
    quarantine_dir: str = "quarantine"
    # Delete an ingested source instead of moving it to processed_dir.
    delete_after_ingest: bool = False
    # Larger files are quarantined as too_large (default 1 GiB).
    max_file_bytes: int = 1 << 30
    # Full rescan of every folder at this period (events are only hints).
    rescan_seconds: float = 60.0
    # A stable file refused for a reason that may pass (truncated...) is retried this often.
    retry_seconds: float = 30.0
    # Processes that parse PDFs and read their pages for slips, side by side (each about
    # 60 MB while it works); one scan's pages are shared among them.
    pdf_processes: int = 2

    def __post_init__(self) -> None:
        if not 0 < self.rescan_seconds <= 300:
            raise ValueError("ingest.rescan_seconds must be in (0, 300]")
        if self.retry_seconds <= 0 or self.max_file_bytes <= 0:
            raise ValueError("ingest.retry_seconds and ingest.max_file_bytes must be positive")
        if not 1 <= self.pdf_processes <= 16:
            raise ValueError(f"ingest.pdf_processes must be 1 to 16, got {self.pdf_processes}")
        for key, value in (
            ("processed_dir", self.processed_dir),
            ("quarantine_dir", self.quarantine_dir),
        ):
            if not value.strip() or not Path(value).parts or ".." in Path(value).parts:
                raise ValueError(f"ingest.{key} {value!r} must be a folder name or path")
        names = [f.folder_name() for f in self.folder]
        if len(set(names)) != len(names):
            raise ValueError(f"ingest.folder names must be unique, got {names}")


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
    # An unacknowledged batch is sent again after this long (the link may have lost it).
    ack_timeout_seconds: float = 15.0
    # Alarm "connected but not draining" when nothing was acknowledged for this long.
    stall_alarm_seconds: float = 120.0


class Config(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    node: NodeSettings
    office_hours: OfficeHoursSettings = msgspec.field(default_factory=OfficeHoursSettings)
    api: ApiSettings = msgspec.field(default_factory=ApiSettings)
    documents: DocumentSettings = msgspec.field(default_factory=DocumentSettings)
    ingest: IngestSettings = msgspec.field(default_factory=IngestSettings)
    sync: SyncSettings = msgspec.field(default_factory=SyncSettings)

    def office_periods(self) -> list[tuple[time, time]]:
        return self.office_hours.as_times()


def default_data_dir() -> Path:
    return Path(os.environ.get("MOTCUA_DATA_DIR", "./data"))


def validate(config: Config, source: str) -> Config:
    """Checks msgspec cannot express; raises ConfigError naming the key and the file."""
    node = config.node
    if not NODE_ID_RE.match(node.node_id):
        raise ConfigError(
            f"{source}: node.node_id {node.node_id!r} must be 1-63 characters of a-z, 0-9 "
            "and '-', starting with a letter or digit"
        )
    if len(node.agency_code) > 35 or not AGENCY_CODE_RE.match(node.agency_code):
        raise ConfigError(
            f"{source}: node.agency_code {node.agency_code!r} must be dot-separated groups "
            "of 0-9/A-Z, at most 35 characters (e.g. 000.00.15.H42)"
        )
    if "{serial" not in node.dossier_code_pattern:
        raise ConfigError(f"{source}: node.dossier_code_pattern must contain {{serial}}")
    check_office_periods(config.office_hours.periods, source)
    if not 0 < config.api.port < 65536:
        raise ConfigError(f"{source}: api.port {config.api.port} is not a TCP port")
    _validate_sync(config.sync, source)
    return config


def check_office_periods(
    periods: Sequence[tuple[str, str]], source: str
) -> list[tuple[time, time]]:
    """Parsed office hours, or ConfigError: at least one period, ordered, no overlap."""
    try:
        parsed = [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in periods]
    except ValueError as exc:
        raise ConfigError(f"{source}: office_hours.periods: {exc}") from exc
    if not parsed:
        raise ConfigError(f"{source}: office_hours.periods must list at least one period")
    previous_end = time.min
    for start, end in parsed:
        if not previous_end <= start < end:
            raise ConfigError(
                f"{source}: office_hours.periods must be ordered, non-overlapping "
                f"[start, end] pairs; got {list(periods)}"
            )
        previous_end = end
    return parsed


def decode_file(path: Path, kind: type[T], missing: str) -> T:
    """A TOML settings file into ``kind``; errors name the file (and the key, from msgspec).

    ``missing`` tells the operator how to create the file when there is none.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: {missing}") from None
    try:
        return msgspec.toml.decode(raw, type=kind)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def load(data_dir: Path) -> Config:
    path = data_dir / CONFIG_NAME
    missing = (
        "no configuration here; create one with "
        f"'motcua init --data-dir {data_dir} --agency-code CODE --node-id ID'"
    )
    return validate(decode_file(path, Config, missing), str(path))


class BrokerAddress(msgspec.Struct, frozen=True):
    host: str
    port: int
    tls: bool


def broker_address(url: str) -> BrokerAddress:
    """``mqtt://host[:1883]`` or ``mqtts://host[:8883]``; ValueError says what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValueError(f"{url!r} must start with mqtt:// or mqtts://")
    if not parts.hostname:
        raise ValueError(f"{url!r} names no host")
    if parts.path not in ("", "/") or parts.query or parts.username:
        raise ValueError(f"{url!r}: only scheme, host and port are taken")
    tls = parts.scheme == "mqtts"
    return BrokerAddress(parts.hostname, parts.port or (8883 if tls else 1883), tls)


def _validate_sync(sync: SyncSettings, source: str) -> None:
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
    }
    for key, (value, low, high) in limits.items():
        if not low <= value <= high:
            raise ConfigError(f"{source}: {key} = {value} must be between {low} and {high}")


def render(config: Config) -> str:
    """The config file as ``motcua init`` writes it: every key, with a comment saying why."""
    periods = ", ".join(f'["{a}", "{b}"]' for a, b in config.office_hours.periods)
    node = tomli_w.dumps(msgspec.to_builtins(config.node))
    return f"""# motcua-edge node configuration. Keys are documented in README.md ("Configuration").

[node]
# node_id: this node's identity in replication topics; agency_code: mã định danh (QĐ 20/2020).
# dossier_code_pattern placeholders: {{agency}} {{yymmdd}} {{yyyymmdd}} {{serial:04}}.
{node}
[office_hours]
# Reception after the last period counts from the next working day (Asia/Ho_Chi_Minh).
periods = [{periods}]

[api]
host = "{config.api.host}"
port = {config.api.port}

[documents]
# Largest upload accepted, in bytes.
max_upload_bytes = {config.documents.max_upload_bytes}

[sync]
# Replication to the city: "" = off; "mqtt://host:1883", or "mqtts://host:8883" with the
# CA, this node's certificate and key from 'motcua pki issue-node'.
{tomli_w.dumps(msgspec.to_builtins(config.sync))}"""
