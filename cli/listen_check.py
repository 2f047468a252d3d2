"""Where ``motcua serve`` may listen: HTTPS anywhere, plain HTTP only on loopback.

Staff pages carry passwords and session cookies and the API citizens' data, so on the
office LAN the node serves HTTPS with a certificate from the province CA ('motcua pki
issue-web'). ``api.plain_http_on_lan = true`` (or ``--plain-http-on-lan``) overrides the
refusal for an office that puts its own TLS proxy in front, on the same machine.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from settings.node import ApiSettings


class ListenRefused(Exception):
    pass


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def tls_files(
    api: ApiSettings, data_dir: Path, host: str, override: bool
) -> tuple[str, str] | None:
    """(certificate, key) to serve HTTPS with, or None for plain HTTP; ListenRefused when
    plain HTTP would be served on a LAN address, or a named file is missing."""
    if api.tls_cert_file:
        cert, key = (data_dir / api.tls_cert_file), (data_dir / api.tls_key_file)
        for path, key_name in ((cert, "api.tls_cert_file"), (key, "api.tls_key_file")):
            if not path.is_file():
                raise ListenRefused(f"{key_name}: {path} does not exist")
        return str(cert), str(key)
    if is_loopback(host) or override or api.plain_http_on_lan:
        return None
    raise ListenRefused(
        f"refusing to serve plain HTTP on {host}: staff passwords and citizens' data would "
        "cross the LAN unencrypted. Issue a certificate ('motcua pki issue-web NODE_ID "
        "--hostname ADDRESS') and set api.tls_cert_file and api.tls_key_file, or listen on "
        "127.0.0.1 (or, behind a TLS proxy of your own, set api.plain_http_on_lan = true)"
    )
