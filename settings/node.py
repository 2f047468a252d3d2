"""The node's settings, read from ``DIR/motcua.toml`` into frozen Structs.

Settings hold values; they never open connections. A typo is an error at start-up that
names the key and the file (``forbid_unknown_fields``).
"""

from __future__ import annotations

import os
import re
from datetime import time
from pathlib import Path

import msgspec
import tomli_w

from settings.auth import AuthSettings
from settings.ingest import IngestSettings
from settings.loading import ConfigError, decode_file
from settings.office import OfficeSettings, validate_office
from settings.office_hours import OfficeHoursSettings, check_office_periods
from settings.public_pages import LookupSettings, validate_lookup
from settings.sync import SyncSettings, validate_sync

CONFIG_NAME = "motcua.toml"
DATABASE_NAME = "motcua.sqlite3"

AGENCY_CODE_RE = re.compile(r"^[0-9A-Z]+(\.[0-9A-Z]+)*$")
NODE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
DEFAULT_CODE_PATTERN = "{agency}-{yymmdd}-{serial:04}"


class NodeSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    node_id: str
    agency_code: str
    # Placeholders: {agency}, {yymmdd}, {yyyymmdd}, {serial} (with a format spec, e.g. {serial:04}).
    dossier_code_pattern: str = DEFAULT_CODE_PATTERN


class ApiSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    host: str = "127.0.0.1"
    port: int = 8080
    # HTTPS: the node's server certificate and key ('motcua pki issue-web'). Without them the
    # node serves plain HTTP only on a loopback address, unless plain_http_on_lan is true.
    tls_cert_file: str = ""
    tls_key_file: str = ""
    plain_http_on_lan: bool = False


class DocumentSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # Largest upload accepted, in bytes (default 1 GiB).
    max_upload_bytes: int = 1 << 30


class Config(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    node: NodeSettings
    office_hours: OfficeHoursSettings = msgspec.field(default_factory=OfficeHoursSettings)
    api: ApiSettings = msgspec.field(default_factory=ApiSettings)
    auth: AuthSettings = msgspec.field(default_factory=AuthSettings)
    documents: DocumentSettings = msgspec.field(default_factory=DocumentSettings)
    ingest: IngestSettings = msgspec.field(default_factory=IngestSettings)
    sync: SyncSettings = msgspec.field(default_factory=SyncSettings)
    office: OfficeSettings = msgspec.field(default_factory=OfficeSettings)
    lookup: LookupSettings = msgspec.field(default_factory=LookupSettings)

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
    if bool(config.api.tls_cert_file) != bool(config.api.tls_key_file):
        raise ConfigError(f"{source}: api.tls_cert_file and api.tls_key_file go together")
    if config.auth.session_idle_minutes < 1 or config.auth.session_max_hours < 1:
        raise ConfigError(
            f"{source}: auth.session_idle_minutes and auth.session_max_hours must be at least 1"
        )
    validate_sync(config.sync, source)
    validate_office(config.office, source)
    validate_lookup(config.lookup, source)
    return config


def load(data_dir: Path) -> Config:
    path = data_dir / CONFIG_NAME
    missing = (
        "no configuration here; create one with "
        f"'motcua init --data-dir {data_dir} --agency-code CODE --node-id ID'"
    )
    return validate(decode_file(path, Config, missing), str(path))


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
# HTTPS for the office LAN: files from 'motcua pki issue-web' (see README, "HTTPS on the LAN").
tls_cert_file = "{config.api.tls_cert_file}"
tls_key_file = "{config.api.tls_key_file}"

[auth]
# Log-in sessions: idle limit (minutes) and absolute limit (hours).
session_idle_minutes = {config.auth.session_idle_minutes}
session_max_hours = {config.auth.session_max_hours}

[documents]
# Largest upload accepted, in bytes.
max_upload_bytes = {config.documents.max_upload_bytes}

[sync]
# Replication to the city: "" = off; "mqtt://host:1883", or "mqtts://host:8883" with the
# CA, this node's certificate and key from 'motcua pki issue-node'.
{tomli_w.dumps(msgspec.to_builtins(config.sync))}
[office]
# Printed on the forms: the office, the body above it, the place before the date, and the
# city's public site for the citizen's lookup ("" = the slip prints only the dossier's QR).
{tomli_w.dumps(msgspec.to_builtins(config.office))}
[lookup]
# The citizen's public pages, per client address over a sliding window (seconds).
{tomli_w.dumps(msgspec.to_builtins(config.lookup))}"""
