"""The city data centre's settings, read from ``DIR/central.toml`` into frozen Structs.

Settings hold values; they never open connections. A typo is an error at start-up that
names the key and the file (``forbid_unknown_fields``), as in ``settings/node.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from pathlib import Path

import msgspec
import tomli_w

from settings import sync as sync_settings
from settings.auth import AuthSettings
from settings.loading import ConfigError, decode_file
from settings.office_hours import OfficeHoursSettings, check_office_periods

CONFIG_NAME = "central.toml"
DATABASE_NAME = "central.sqlite3"
ACCOUNTS_DATABASE_NAME = "accounts.sqlite3"  # central.accounts_db
BLOBS_DIR = "blobs"

_NAME_RE = re.compile(r"\A[a-z0-9][a-z0-9-]{0,62}\Z")
_GROUP_RE = re.compile(r"\A[A-Za-z0-9_-]{1,64}\Z")


class CentralSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # This receiver's name: its certificate is "central:<name>"; also the MQTT client id prefix.
    name: str = "main"


class BrokerSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # mqtt://host[:port] (plain, tests and labs) or mqtts://host[:port] (TLS, production).
    url: str
    # CA certificate, client certificate and key (required for mqtts://); relative to DIR.
    ca: str = ""
    cert: str = ""
    key: str = ""
    keepalive: int = 30


class StoreSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # Empty: SQLite in DIR/central.sqlite3. "postgresql://user@host:port/db": PostgreSQL.
    url: str = ""


class ReceiverSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # MQTT v5 shared subscription group ($share/<group>/...); "" subscribes plainly.
    shared_group: str = "motcua-central"
    # Largest file accepted from a node (default 2 GiB); larger offers are rejected.
    max_file_bytes: int = 2 << 30
    # City events per DownBatch (also bounded by the wire's payload limit).
    down_batch_events: int = 200
    # Unacknowledged city events are sent again to an online node at this period.
    resend_seconds: float = 10.0


class ApiSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    host: str = "127.0.0.1"
    port: int = 8090


class CentralConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    broker: BrokerSettings
    central: CentralSettings = msgspec.field(default_factory=CentralSettings)
    store: StoreSettings = msgspec.field(default_factory=StoreSettings)
    receiver: ReceiverSettings = msgspec.field(default_factory=ReceiverSettings)
    # Office hours assumed for every commune when the city computes a due date (a node's
    # own office hours are not replicated); the same table as a node's [office_hours].
    office_hours: OfficeHoursSettings = msgspec.field(default_factory=OfficeHoursSettings)
    api: ApiSettings = msgspec.field(default_factory=ApiSettings)
    auth: AuthSettings = msgspec.field(default_factory=AuthSettings)

    def office_periods(self) -> list[tuple[time, time]]:
        return self.office_hours.as_times()


@dataclass(frozen=True)
class BrokerAddress:
    """Where the broker is, parsed from ``broker.url``; TLS paths already absolute."""

    host: str
    port: int
    tls: bool
    ca: Path | None
    cert: Path | None
    key: Path | None


def broker_address(config: CentralConfig, data_dir: Path, source: str) -> BrokerAddress:
    """Parse ``broker.url`` and resolve the TLS files; ConfigError names what is wrong."""
    b = config.broker
    try:
        url = sync_settings.broker_address(b.url)
    except ValueError as exc:
        raise ConfigError(f"{source}: broker.url: {exc}") from None
    tls = url.tls
    files: dict[str, Path | None] = {}
    for key, value in (("ca", b.ca), ("cert", b.cert), ("key", b.key)):
        if tls and not value:
            raise ConfigError(f"{source}: broker.{key} is required with an mqtts:// broker.url")
        files[key] = (data_dir / value) if value else None
    return BrokerAddress(
        url.host,
        url.port,
        tls,
        files["ca"],
        files["cert"],
        files["key"],
    )


def validate(config: CentralConfig, data_dir: Path, source: str) -> CentralConfig:
    """Checks msgspec cannot express; raises ConfigError naming the key and the file."""
    if not _NAME_RE.match(config.central.name):
        raise ConfigError(
            f"{source}: central.name {config.central.name!r} must be 1-63 characters of "
            "a-z, 0-9 and '-'"
        )
    broker_address(config, data_dir, source)
    if not 5 <= config.broker.keepalive <= 3600:
        raise ConfigError(f"{source}: broker.keepalive must be 5-3600 seconds")
    url = config.store.url
    if url and not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(f"{source}: store.url {url!r} must be empty (SQLite) or postgresql://...")
    r = config.receiver
    if r.shared_group and not _GROUP_RE.match(r.shared_group):
        raise ConfigError(
            f"{source}: receiver.shared_group {r.shared_group!r}: 1-64 of A-Z a-z 0-9 _ -"
        )
    if r.max_file_bytes <= 0:
        raise ConfigError(f"{source}: receiver.max_file_bytes must be positive")
    if not 1 <= r.down_batch_events <= 10_000:
        raise ConfigError(f"{source}: receiver.down_batch_events must be 1-10000")
    if not 0.1 <= r.resend_seconds <= 3600:
        raise ConfigError(f"{source}: receiver.resend_seconds must be 0.1-3600")
    check_office_periods(config.office_hours.periods, source)
    if not 0 < config.api.port < 65536:
        raise ConfigError(f"{source}: api.port {config.api.port} is not a TCP port")
    return config


def load(data_dir: Path) -> CentralConfig:
    path = data_dir / CONFIG_NAME
    missing = (
        "no city configuration here; create one with "
        f"'motcua central init --data-dir {data_dir} --broker URL'"
    )
    return validate(decode_file(path, CentralConfig, missing), data_dir, str(path))


def render(config: CentralConfig) -> str:
    """The file as ``motcua central init`` writes it, with a comment per section."""
    sections = msgspec.to_builtins(config)

    def block(name: str, comment: str) -> str:
        return f"[{name}]\n# {comment}\n" + tomli_w.dumps(sections[name])

    return "\n".join(
        [
            "# motcua-edge city data centre. Keys are documented in README.md "
            '("City data centre").\n',
            block("central", "name: this receiver's certificate is central:<name>."),
            block("broker", "mqtts:// needs ca, cert and key (paths relative to this folder)."),
            block("store", 'url = "" keeps SQLite in central.sqlite3; or postgresql://...'),
            block("receiver", "shared_group = '' turns off MQTT v5 shared subscriptions."),
            block("office_hours", "Assumed for every commune when the city sets a due date."),
            block("api", "Where 'motcua central serve' listens by default."),
        ]
    )
