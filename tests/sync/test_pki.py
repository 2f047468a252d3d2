"""`motcua pki`: certificates, file modes, the generated broker config, and bad input.

What the certificates and the config actually allow is tested against a real broker in
``test_broker_acl.py``; here we check contents and that mistakes write nothing.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import stat
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cli.pki_cmd import pki_group
from sync import broker_config, pki

NODE = "xa-an-binh"


def run(*args: str) -> Result:
    return CliRunner().invoke(pki_group, list(args), catch_exceptions=False)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its content (to prove nothing was written)."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def cn(c: x509.Certificate) -> str:
    return str(c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def ca_dir(tmp_path: Path) -> Path:
    root = tmp_path / "pki"
    assert run("init", "--dir", str(root), "--hostname", "mqtt.danang.example").exit_code == 0
    return root


def test_init_creates_ca_and_server_certificate(ca_dir: Path) -> None:
    layout = pki.PkiDir(ca_dir)
    ca = cert(layout.ca_cert)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.not_valid_after_utc - ca.not_valid_before_utc >= dt.timedelta(days=3650)
    server = cert(layout.server_cert)
    server.verify_directly_issued_by(ca)
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(san.get_values_for_type(x509.DNSName)) == {"mqtt.danang.example", "localhost"}
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    eku = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert mode(layout.ca_key) == 0o600 and mode(layout.server_key) == 0o600
    assert mode(layout.ca_cert) == 0o644
    assert mode(ca_dir) == 0o700


def test_init_refuses_to_replace_a_ca(ca_dir: Path) -> None:
    before = snapshot(ca_dir)
    result = run("init", "--dir", str(ca_dir))
    assert result.exit_code == 1
    assert "already holds a CA" in result.output
    assert snapshot(ca_dir) == before


def test_init_with_bad_hostname_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "pki"
    result = run("init", "--dir", str(root), "--hostname", "bad host!")
    assert result.exit_code == 1
    assert "invalid broker hostname 'bad host!'" in result.output
    assert not root.exists()


def test_issue_node_signs_a_client_certificate_with_cn_node_id(ca_dir: Path) -> None:
    result = run("issue-node", NODE, "--dir", str(ca_dir))
    assert result.exit_code == 0, result.output
    issued = pki.PkiDir(ca_dir).node(NODE)
    c = cert(issued.cert)
    assert cn(c) == NODE
    c.verify_directly_issued_by(cert(pki.PkiDir(ca_dir).ca_cert))
    eku = c.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert not c.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    key = serialization.load_pem_private_key(issued.key.read_bytes(), password=None)
    assert key.public_key() == c.public_key()
    assert mode(issued.key) == 0o600
    # Atomic writes leave no temp files behind.
    assert not [p for p in ca_dir.rglob("*") if p.name.endswith(".tmp")]


def test_issue_node_key_mode_ignores_a_permissive_umask(ca_dir: Path) -> None:
    old = os.umask(0)
    try:
        pki.issue_node(ca_dir, NODE)
    finally:
        os.umask(old)
    assert mode(pki.PkiDir(ca_dir).node(NODE).key) == 0o600


@pytest.mark.parametrize(
    "bad_id", ["Xa-An-Binh", "xa/an", "+", "#", "-xa", "a" * 64, "xa an", "central", "xã"]
)
def test_issue_node_with_invalid_id_is_a_clear_error_and_writes_nothing(
    ca_dir: Path, bad_id: str
) -> None:
    before = snapshot(ca_dir)
    result = run("issue-node", "--dir", str(ca_dir), "--", bad_id)
    assert result.exit_code == 2
    assert "Invalid value for 'NODE_ID'" in result.output
    assert snapshot(ca_dir) == before


def test_issue_node_without_a_ca_says_to_run_init(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    result = run("issue-node", NODE, "--dir", str(root))
    assert result.exit_code == 1
    assert "no CA in" in result.output and "pki init" in result.output
    assert not root.exists()


def test_issue_node_twice_needs_force(ca_dir: Path) -> None:
    assert run("issue-node", NODE, "--dir", str(ca_dir)).exit_code == 0
    before = snapshot(ca_dir)
    result = run("issue-node", NODE, "--dir", str(ca_dir))
    assert result.exit_code == 1 and "--force" in result.output
    assert snapshot(ca_dir) == before
    assert run("issue-node", NODE, "--dir", str(ca_dir), "--force").exit_code == 0
    assert snapshot(ca_dir)[f"nodes/{NODE}.crt"] != before[f"nodes/{NODE}.crt"]


def test_issue_central_uses_a_prefix_no_node_id_can_have(ca_dir: Path) -> None:
    result = run("issue-central", "main", "--dir", str(ca_dir))
    assert result.exit_code == 0, result.output
    issued = pki.PkiDir(ca_dir).central("main")
    assert cn(cert(issued.cert)) == "central:main"
    assert mode(issued.key) == 0o600
    assert pki.PkiDir(ca_dir).central_usernames() == ["central:main"]


def test_issue_central_with_invalid_name_writes_nothing(ca_dir: Path) -> None:
    before = snapshot(ca_dir)
    result = run("issue-central", "Main:1", "--dir", str(ca_dir))
    assert result.exit_code == 2 and "invalid central name" in result.output
    assert snapshot(ca_dir) == before


def test_mosquitto_config_confines_nodes_and_lists_centrals(ca_dir: Path, tmp_path: Path) -> None:
    run("issue-central", "main", "--dir", str(ca_dir))
    out = tmp_path / "etc" / "motcua.conf"
    out.parent.mkdir()
    result = run("mosquitto-config", "--dir", str(ca_dir), "--port", "8884", "--out", str(out))
    assert result.exit_code == 0, result.output
    conf = out.read_text().splitlines()
    for line in [
        "listener 8884",
        "allow_anonymous false",
        "require_certificate true",
        "use_identity_as_username true",
        f"cafile {ca_dir.resolve() / 'ca.crt'}",
        f"acl_file {out.with_suffix('.acl').resolve()}",
        f"max_packet_size {broker_config.MAX_PACKET_SIZE}",
    ]:
        assert line in conf
    acl = out.with_suffix(".acl").read_text().splitlines()
    for line in [
        "pattern write motcua/v1/%u/up/#",
        "pattern read motcua/v1/%u/down/#",
        "user central:main",
        "topic read motcua/v1/+/up/#",
        "topic write motcua/v1/+/down/#",
    ]:
        assert line in acl
    # Patterns before any user block: they apply to everyone, centrals included.
    assert acl.index("pattern write motcua/v1/%u/up/#") < acl.index("user central:main")


def test_mosquitto_config_warns_when_no_central_exists(ca_dir: Path) -> None:
    result = CliRunner().invoke(pki_group, ["mosquitto-config", "--dir", str(ca_dir)])
    assert result.exit_code == 0
    assert "no central certificate" in result.output
    assert "listener 8883" in (ca_dir / "mosquitto.conf").read_text().splitlines()


def test_mosquitto_config_without_ca_writes_nothing(tmp_path: Path) -> None:
    result = run("mosquitto-config", "--dir", str(tmp_path), "--port", "8883")
    assert result.exit_code == 1 and "pki init" in result.output
    assert snapshot(tmp_path) == {}


def test_mosquitto_config_into_a_missing_directory_is_a_clear_error(
    ca_dir: Path, tmp_path: Path
) -> None:
    before = snapshot(ca_dir)
    out = tmp_path / "no-such-dir" / "motcua.conf"
    result = run("mosquitto-config", "--dir", str(ca_dir), "--out", str(out))
    assert result.exit_code == 1 and "is not a directory" in result.output
    assert snapshot(ca_dir) == before


def test_mosquitto_config_rejects_a_bad_port(ca_dir: Path) -> None:
    before = snapshot(ca_dir)
    result = run("mosquitto-config", "--dir", str(ca_dir), "--port", "70000")
    assert result.exit_code == 2
    assert snapshot(ca_dir) == before


def test_dir_can_come_from_the_environment(ca_dir: Path) -> None:
    result = CliRunner(env={"MOTCUA_PKI_DIR": str(ca_dir)}).invoke(pki_group, ["issue-node", NODE])
    assert result.exit_code == 0, result.output
    assert pki.PkiDir(ca_dir).node(NODE).cert.is_file()


@pytest.mark.parametrize("name", sorted(pki_group.commands))
def test_every_command_and_option_has_help(name: str) -> None:
    command = pki_group.commands[name]
    assert command.help and command.help.strip()
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts} has no help"
    result = run(name, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_group_is_named_pki_and_has_the_documented_commands() -> None:
    assert pki_group.name == "pki"
    assert set(pki_group.commands) == {
        "init",
        "issue-node",
        "revoke",
        "issue-central",
        "issue-web",
        "mosquitto-config",
    }
