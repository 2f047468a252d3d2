"""``motcua serve`` on the office LAN: HTTPS with a certificate from the province CA, and
never plain HTTP on a LAN address unless explicitly overridden."""

from __future__ import annotations

import ssl
import subprocess
import sys
from pathlib import Path

import httpx

from node.runtime import open_node
from sync import pki
from tests.support.accounts import PASSWORD, make_user
from tests.support.live_node import api_token, free_port
from tests.support.wait import wait_until


def _serve(node_dir: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--data-dir", str(node_dir), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_plain_http_on_a_lan_address_is_refused_with_a_clear_message(node_dir: Path) -> None:
    refused = _serve(node_dir, "--host", "0.0.0.0", "--port", str(free_port()))
    out, _ = refused.communicate(timeout=60)
    assert refused.returncode == 3
    assert "refusing to serve plain HTTP on 0.0.0.0" in out and "pki issue-web" in out


def test_the_node_serves_https_with_the_province_ca_and_secure_cookies(
    node_dir: Path, tmp_path: Path
) -> None:
    ca_dir = tmp_path / "pki"
    pki.init(ca_dir)
    issued = pki.issue_web(ca_dir, "xa-test", ["127.0.0.1", "motcua.xa.local"])
    config = node_dir / "motcua.toml"
    text = config.read_text()
    text = text.replace('tls_cert_file = ""', f'tls_cert_file = "{issued.cert}"')
    text = text.replace('tls_key_file = ""', f'tls_key_file = "{issued.key}"')
    config.write_text(text)
    token = api_token(node_dir)
    rt = open_node(node_dir)
    make_user(rt.db, "an")
    rt.close()
    port = free_port()
    server = _serve(node_dir, "--host", "127.0.0.1", "--port", str(port))
    trust = ssl.create_default_context(cafile=str(ca_dir / "ca.crt"))
    url = f"https://127.0.0.1:{port}"
    try:

        def up() -> bool:
            try:
                return httpx.get(f"{url}/healthz", verify=trust, timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, timeout=30, what="the node over HTTPS")
        with httpx.Client(base_url=url, verify=trust) as browser:
            got = browser.get("/api/v1/dossiers", headers={"Authorization": f"Bearer {token}"})
            assert got.status_code == 200
            login = browser.post("/login", data={"username": "an", "password": PASSWORD})
            assert "Secure" in login.headers["set-cookie"]
        try:
            httpx.get(f"{url}/healthz", timeout=5)  # a client that does not trust the CA
            raise AssertionError("the certificate must not be trusted without the CA")
        except httpx.ConnectError:
            pass
    finally:
        server.terminate()
        server.wait(timeout=30)
