"""The settings page (``/admin/settings``): an administrator sees the settings the node loaded;
nobody else sees any of them; no password or key content is ever shown; hostile values are
text."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import tomli_w
from litestar.testing import TestClient

from node.runtime import NodeRuntime, open_node
from rules.actor import Role
from settings.node import load
from tests.conftest import AGENCY, NODE_ID
from tests.support.staff_client import StaffClientFactory
from uplink.node_link import SOFTWARE_VERSION
from web.node_api.app import create_app
from web.staff_pages.settings_page import shown_url

KEY_CONTENT = "-----BEGIN PRIVATE KEY-----\nTHIS-IS-KEY-MATERIAL-NEVER-SHOWN\n"
HOSTILE_NAME = "<script>alert(1)</script>"
_FACT = re.compile(r"<dt>(.*?)</dt>\s*<dd>(.*?)(?: <code[^>]*>.*?</code>)?</dd>", re.S)


def _config(share: Path, **office: str) -> dict[str, Any]:
    """A node configured away from every default the page shows."""
    return {
        "node": {"node_id": NODE_ID, "agency_code": AGENCY},
        "office_hours": {"periods": [["07:00", "11:00"], ["13:00", "16:30"]]},
        "api": {
            "host": "192.168.1.20",
            "port": 8443,
            "tls_cert_file": "tls/web.pem",
            "tls_key_file": "tls/web-key.pem",
        },
        "auth": {"session_idle_minutes": 45, "session_max_hours": 9},
        "documents": {"max_upload_bytes": 5_000_000},
        "sync": {
            "broker": "mqtts://thanhpho.example.vn:8884",
            "ca_file": "/etc/motcua/pki/ca.pem",
            "cert_file": "/etc/motcua/pki/node.pem",
            "key_file": str(share.parent / "node-key.pem"),
            "clock_alarm_seconds": 30.5,
        },
        "office": {
            "name": "UBND xã An Bình",
            "parent": "ỦY BAN NHÂN DÂN HUYỆN TÂN KỲ",
            "place": "An Bình",
            "city_public_url": "https://tracuu.example.gov.vn",
            **office,
        },
        "ingest": {"folder": [{"path": str(share), "name": "may-quet-2"}]},
    }


@pytest.fixture
def share(tmp_path: Path) -> Path:
    folder = tmp_path / "scanner-share"
    folder.mkdir()
    # The key files the config names exist and hold key material the page must never read.
    (tmp_path / "node-key.pem").write_text(KEY_CONTENT)
    return folder


@pytest.fixture
def runtime(node_dir: Path, share: Path) -> Iterator[NodeRuntime]:
    """The node the staff clients log in to, configured with non-default values."""
    (node_dir / "tls").mkdir()
    (node_dir / "tls" / "web-key.pem").write_text(KEY_CONTENT)
    (node_dir / "motcua.toml").write_text(tomli_w.dumps(_config(share)), encoding="utf-8")
    rt = open_node(node_dir)
    yield rt
    rt.close()


def _facts(page: str) -> dict[str, str]:
    """label → value as shown (unescaped)."""
    return {html.unescape(k): html.unescape(v).strip() for k, v in _FACT.findall(page)}


def test_an_administrator_sees_the_settings_the_node_loaded(
    staff_client: StaffClientFactory, runtime: NodeRuntime, node_dir: Path, share: Path
) -> None:
    page = staff_client(Role.ADMIN).get("/admin/settings")
    assert page.status_code == 200, page.text
    facts = _facts(page.text)
    data_dir = node_dir.absolute()
    assert facts == {
        "Mã nút": NODE_ID,
        "Mã định danh cơ quan": AGENCY,
        "Tên cơ quan": "UBND xã An Bình",
        "Cơ quan chủ quản": "ỦY BAN NHÂN DÂN HUYỆN TÂN KỲ",
        "Địa danh ghi trên giấy tờ": "An Bình",
        "Trang tra cứu công khai của thành phố": "https://tracuu.example.gov.vn",
        "Giờ làm việc": "07:00–11:00, 13:00–16:30",
        "Thư mục dữ liệu": str(data_dir),
        "Địa chỉ HTTP": "192.168.1.20:8443",
        "HTTPS": "Bật",
        "Tệp chứng chỉ HTTPS": str(data_dir / "tls" / "web.pem"),
        "Tệp khóa HTTPS": str(data_dir / "tls" / "web-key.pem"),
        "Cho phép HTTP thường trong mạng nội bộ": "Tắt",
        "Tệp tải lên lớn nhất": "5 MB (5.000.000 byte)",
        "Phiên bản phần mềm": SOFTWARE_VERSION,
        "Phiên bản lược đồ cơ sở dữ liệu": facts["Phiên bản lược đồ cơ sở dữ liệu"],
        "Kết thúc khi không dùng trong": "45 phút",
        "Kết thúc sau khi đăng nhập": "9 giờ",
        "Đồng bộ": "Bật",
        "Máy chủ trung gian": "mqtts://thanhpho.example.vn:8884",
        "Tệp chứng chỉ CA": "/etc/motcua/pki/ca.pem",
        "Tệp chứng chỉ của nút": "/etc/motcua/pki/node.pem",
        "Tệp khóa của nút": str(share.parent / "node-key.pem"),
        "Ngưỡng cảnh báo lệch đồng hồ": "30,5 giây",
        "may-quet-2": str(share),
    }
    # The newest migration this database ran, as /healthz reports it.
    with TestClient(app=create_app(runtime)) as anonymous:
        schema = anonymous.get("/healthz").json()["schema"]
    assert schema and facts["Phiên bản lược đồ cơ sở dữ liệu"] == schema
    # Where to change them, and the key each comes from.
    assert f"<code data-config-file>{data_dir / 'motcua.toml'}</code>" in page.text
    assert "systemctl restart motcua-node" in page.text
    assert '<code class="muted">[sync] clock_alarm_seconds</code>' in page.text
    assert "THIS-IS-KEY-MATERIAL" not in page.text


def test_defaults_show_replication_and_https_off(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    cfg = runtime.config
    runtime.config = msgspec.structs.replace(
        cfg,
        sync=msgspec.structs.replace(cfg.sync, broker="", ca_file="", cert_file="", key_file=""),
        api=msgspec.structs.replace(cfg.api, tls_cert_file="", tls_key_file=""),
        ingest=msgspec.structs.replace(cfg.ingest, folder=[]),
    )
    facts = _facts(staff_client(Role.ADMIN).get("/admin/settings").text)
    assert facts["Đồng bộ"] == "Tắt" and facts["Máy chủ trung gian"] == "Chưa đặt"
    assert facts["HTTPS"] == "Tắt" and facts["Tệp khóa HTTPS"] == "Chưa đặt"
    assert facts["Thư mục"] == "Chưa cấu hình thư mục nào"


def test_no_password_in_a_url_is_shown(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    # The config file refuses a broker URL with a user; the page must not rely on that.
    cfg = runtime.config
    runtime.config = msgspec.structs.replace(
        cfg,
        sync=msgspec.structs.replace(cfg.sync, broker="mqtt://user:secret@host"),
        office=msgspec.structs.replace(
            cfg.office, city_public_url="https://admin:hunter2@tracuu.example.gov.vn/?t=tok"
        ),
    )
    page = staff_client(Role.ADMIN).get("/admin/settings")
    facts = _facts(page.text)
    assert facts["Máy chủ trung gian"] == "mqtt://host"
    assert facts["Trang tra cứu công khai của thành phố"] == "https://tracuu.example.gov.vn/"
    for secret in ("secret", "user", "hunter2", "admin:", "tok"):
        assert secret not in page.text.split("<main", 1)[1], secret


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("mqtt://user:secret@host:1883", "mqtt://host:1883"),
        ("mqtt://:secret@host", "mqtt://host"),
        ("mqtt://user:p@ss@host", "mqtt://host"),
        ("mqtts://host:8883", "mqtts://host:8883"),
        ("https://x.example.vn/tra-cuu?token=abc#f", "https://x.example.vn/tra-cuu"),
        ("mqtt://user:secret@[::1", "?"),
    ],
)
def test_a_shown_url_keeps_only_scheme_host_port_and_path(url: str, shown: str) -> None:
    assert shown_url(url) == shown


def test_a_non_administrator_gets_403_and_no_setting(
    staff_client: StaffClientFactory, runtime: NodeRuntime, node_dir: Path
) -> None:
    every_other_role = staff_client(Role.RECEPTION, Role.PROCESSING, Role.LEADER, user="cb")
    page = every_other_role.get("/admin/settings")
    assert page.status_code == 403
    for value in ("thanhpho.example.vn", "192.168.1.20", str(node_dir), "may-quet-2", "[sync]"):
        assert value not in page.text, value
    # The administration page's way there is not offered either.
    assert 'href="/admin/settings"' not in every_other_role.get("/dossiers").text


def test_the_administration_page_links_to_the_settings(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.ADMIN)
    assert 'href="/admin/settings"' in client.get("/admin").text
    # The menu marks "Quản trị" as where the settings page belongs.
    settings = client.get("/admin/settings").text
    assert '<a href="/admin" aria-current="page">' in settings


def test_anonymous_is_sent_to_log_in(runtime: NodeRuntime) -> None:
    with TestClient(app=create_app(runtime)) as anonymous:
        response = anonymous.get("/admin/settings", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin%2Fsettings"
    assert "thanhpho.example.vn" not in response.text


def test_hostile_values_are_shown_as_text(
    staff_client: StaffClientFactory, runtime: NodeRuntime, node_dir: Path, share: Path
) -> None:
    config = _config(share, name=HOSTILE_NAME, place='"><img src=x onerror=alert(2)>')
    config["ingest"]["folder"][0]["name"] = "<img src=x onerror=alert(3)>"
    (node_dir / "motcua.toml").write_text(tomli_w.dumps(config), encoding="utf-8")
    runtime.config = load(node_dir)  # as the file is loaded at start, checks and all
    page = staff_client(Role.ADMIN).get("/admin/settings").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page and "<img src=x" not in page
    facts = _facts(page)
    assert facts["Tên cơ quan"] == HOSTILE_NAME
    assert facts["<img src=x onerror=alert(3)>"] == str(share)
