"""The node's settings, read only (``/admin/settings``, administrators only): what an office
administrator checks before calling support, taken from the config the process loaded
(``NodeRuntime.config``), never from the file again, so the page shows what is in force.

Nothing secret is shown: a URL loses any user name and password (and query) it carries, and
key files are named by their path only; their content is never opened.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import msgspec
from litestar import Controller, Request, get
from litestar.response import Template

from node.runtime import NodeRuntime
from settings.node import CONFIG_NAME
from storage.migrations import schema_version
from uplink.node_link import SOFTWARE_VERSION
from web.json_api.identity import CurrentActor
from web.page_kit.i18n import Translate
from web.page_kit.quantities import decimal, size_text
from web.page_kit.request_context import page_translator
from web.staff_pages.admin_page import require_admin
from web.staff_pages.dossier_list import Runtime
from web.staff_pages.navigation import staff_page


class Fact(msgspec.Struct, frozen=True):
    label: str  # translated already
    value: str  # a configured value, shown as text (autoescaped), never translated
    key: str = ""  # where it is set in motcua.toml ("" = not a key of the file)


class Section(msgspec.Struct, frozen=True):
    title: str
    facts: list[Fact]


def shown_url(url: str) -> str:
    """``url`` without user name, password, query or fragment: what a page may show of it.

    The node's config refuses a broker URL with a user, but this page must not depend on a
    check made elsewhere to keep a password off the screen.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "?"  # unparseable: a part of it might be a password, so none of it
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def settings_sections(runtime: NodeRuntime, schema: str, _: Translate) -> list[Section]:
    """Every setting the page shows, grouped as an administrator looks for them."""
    cfg = runtime.config
    data_dir = runtime.data_dir.absolute()
    unset = _("Chưa đặt")

    def on_off(on: bool) -> str:
        return _("Bật") if on else _("Tắt")

    def in_data_dir(path: str) -> str:
        # HTTPS files are read relative to the data directory (cli.listen_check).
        return str(data_dir / path) if path else unset

    hours = ", ".join(f"{start}–{end}" for start, end in cfg.office_hours.periods)
    upload = cfg.documents.max_upload_bytes
    office = Section(
        _("Đơn vị"),
        [
            Fact(_("Mã nút"), cfg.node.node_id, "[node] node_id"),
            Fact(_("Mã định danh cơ quan"), cfg.node.agency_code, "[node] agency_code"),
            Fact(_("Tên cơ quan"), cfg.office.name, "[office] name"),
            Fact(_("Cơ quan chủ quản"), cfg.office.parent or unset, "[office] parent"),
            Fact(_("Địa danh ghi trên giấy tờ"), cfg.office.place or unset, "[office] place"),
            Fact(
                _("Trang tra cứu công khai của thành phố"),
                shown_url(cfg.office.city_public_url) if cfg.office.city_public_url else unset,
                "[office] city_public_url",
            ),
            Fact(_("Giờ làm việc"), hours, "[office_hours] periods"),
        ],
    )
    server = Section(
        _("Máy chủ"),
        [
            Fact(_("Thư mục dữ liệu"), str(data_dir)),
            Fact(_("Địa chỉ HTTP"), f"{cfg.api.host}:{cfg.api.port}", "[api] host, port"),
            Fact(_("HTTPS"), on_off(bool(cfg.api.tls_cert_file))),
            Fact(
                _("Tệp chứng chỉ HTTPS"), in_data_dir(cfg.api.tls_cert_file), "[api] tls_cert_file"
            ),
            Fact(_("Tệp khóa HTTPS"), in_data_dir(cfg.api.tls_key_file), "[api] tls_key_file"),
            Fact(
                _("Cho phép HTTP thường trong mạng nội bộ"),
                on_off(cfg.api.plain_http_on_lan),
                "[api] plain_http_on_lan",
            ),
            Fact(
                _("Tệp tải lên lớn nhất"),
                f"{size_text(upload)} ({decimal(upload)} byte)",
                "[documents] max_upload_bytes",
            ),
            Fact(_("Phiên bản phần mềm"), SOFTWARE_VERSION),
            Fact(_("Phiên bản lược đồ cơ sở dữ liệu"), schema),
        ],
    )
    sessions = Section(
        _("Phiên đăng nhập"),
        [
            Fact(
                _("Kết thúc khi không dùng trong"),
                f"{cfg.auth.session_idle_minutes} {_('phút')}",
                "[auth] session_idle_minutes",
            ),
            Fact(
                _("Kết thúc sau khi đăng nhập"),
                f"{cfg.auth.session_max_hours} {_('giờ')}",
                "[auth] session_max_hours",
            ),
        ],
    )
    sync = cfg.sync
    replication = Section(
        _("Đồng bộ với thành phố"),
        [
            Fact(_("Đồng bộ"), on_off(bool(sync.broker))),
            Fact(
                _("Máy chủ trung gian"),
                shown_url(sync.broker) if sync.broker else unset,
                "[sync] broker",
            ),
            # As written: the link hands these paths to the TLS library unchanged.
            Fact(_("Tệp chứng chỉ CA"), sync.ca_file or unset, "[sync] ca_file"),
            Fact(_("Tệp chứng chỉ của nút"), sync.cert_file or unset, "[sync] cert_file"),
            Fact(_("Tệp khóa của nút"), sync.key_file or unset, "[sync] key_file"),
            Fact(
                _("Ngưỡng cảnh báo lệch đồng hồ"),
                f"{decimal(sync.clock_alarm_seconds)} {_('giây')}",
                "[sync] clock_alarm_seconds",
            ),
        ],
    )
    # Resolved as ingest resolves them (scanner_ingest.folders): from the data directory.
    folders = [
        Fact(
            f.folder_name(),
            os.path.abspath(data_dir / Path(f.path).expanduser()),
            "[[ingest.folder]] path",
        )
        for f in cfg.ingest.folder
    ]
    scanners = Section(
        _("Thư mục nhận bản quét"),
        folders or [Fact(_("Thư mục"), _("Chưa cấu hình thư mục nào"), "[[ingest.folder]]")],
    )
    return [office, server, sessions, replication, scanners]


class SettingsPage(Controller):
    include_in_schema = False

    @get("/admin/settings", name="pages:admin-settings", sync_to_thread=True)
    def show(
        self, request: Request[Any, Any, Any], runtime: Runtime, actor: CurrentActor
    ) -> Template:
        require_admin(actor)
        _ = page_translator(request)
        schema = schema_version(runtime.db.read())
        config_file: Path = runtime.data_dir.absolute() / CONFIG_NAME
        return staff_page(
            request,
            "admin_settings.html",
            actor=actor,
            sections=settings_sections(runtime, schema, _),
            config_file=str(config_file),
        )
