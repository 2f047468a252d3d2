"""``motcua pki revoke NODE``: a CRL from the province CA, and a real Mosquitto (with the
config ``motcua pki mosquitto-config`` writes) refusing the revoked node while another
node still connects."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from cli.pki_cmd import pki_group
from sync import pki, revocation
from tests.support.mosquitto import Mosquitto
from tests.support.mqtt_client import MqttTestClient, TlsFiles
from tests.support.pki_bundle import NODE_A, NODE_B, PkiBundle
from tests.support.wait import wait_until


def connects(broker: Mosquitto, name: str, tls: TlsFiles) -> str | None:
    """None once connected (then disconnected), else why the connection failed."""
    client = MqttTestClient(name, tls=tls)
    try:
        return client.try_connect(broker.host, broker.port)
    finally:
        client.close()


def test_a_revoked_node_is_refused_and_another_still_connects(tmp_path: Path) -> None:
    bundle = PkiBundle.create(tmp_path / "pki")
    # Node A's files as the node itself holds them (the PKI directory sets its copy aside).
    issued = bundle.dir.node(NODE_A)
    node_a = TlsFiles(bundle.dir.ca_cert, tmp_path / "a.crt", tmp_path / "a.key")
    shutil.copyfile(issued.cert, tmp_path / "a.crt")
    shutil.copyfile(issued.key, tmp_path / "a.key")
    node_b = bundle.node(NODE_B)

    broker = bundle.broker(tmp_path / "broker")
    broker.start()
    try:
        config = (tmp_path / "broker" / "generated.conf").read_text()
        assert f"crlfile {revocation.crl_path(bundle.dir).resolve()}" in config
        # Before: both nodes are let in (the broker already checks the, empty, CRL).
        assert connects(broker, "a-before", node_a) is None
        assert connects(broker, "b-before", node_b) is None

        result = CliRunner().invoke(pki_group, ["revoke", NODE_A, "--dir", str(bundle.dir.root)])
        assert result.exit_code == 0, result.output
        assert f"revoked node {NODE_A}" in result.output
        assert "systemctl restart mosquitto" in result.output
        assert not issued.cert.exists() and not issued.key.exists()

        broker.stop()
        broker.start()  # as the operator is told: the broker reads the CRL at start
        assert connects(broker, "a-after", node_a) is not None
        wait_until(
            lambda: "certificate verify failed" in broker.log_text().split("a-before")[-1],
            timeout=30,
            what="the broker to log the refused certificate",
        )
        assert connects(broker, "b-after", node_b) is None
    finally:
        broker.stop()


def test_revoking_twice_changes_nothing_and_a_new_certificate_can_be_issued(
    tmp_path: Path,
) -> None:
    root = tmp_path / "pki"
    pki.init(root)
    first = pki.issue_node(root, NODE_A)
    serial = revocation.revoke_node(root, NODE_A).serial
    crl_before = revocation.crl_path(pki.PkiDir(root)).read_bytes()
    again = revocation.revoke_node(root, NODE_A)
    assert again.already and again.serial == serial
    assert revocation.crl_path(pki.PkiDir(root)).read_bytes() == crl_before
    assert revocation.revoked_serials(root) == [serial]
    new = pki.issue_node(root, NODE_A)  # no --force needed: the revoked one was set aside
    assert new.cert == first.cert and new.cert.is_file()


def test_revoking_an_unknown_node_is_a_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "pki"
    pki.init(root)
    before = sorted(p.name for p in root.rglob("*"))
    result = CliRunner().invoke(pki_group, ["revoke", "xa-khong-co", "--dir", str(root)])
    assert result.exit_code == 1
    assert "no certificate was issued to node 'xa-khong-co'" in result.output
    bad = CliRunner().invoke(pki_group, ["revoke", "Bad Node!", "--dir", str(root)])
    assert bad.exit_code == 2
    assert sorted(p.name for p in root.rglob("*")) == before


def test_a_crl_not_signed_by_this_ca_is_refused(tmp_path: Path) -> None:
    root, other = tmp_path / "pki", tmp_path / "other"
    pki.init(root)
    pki.init(other)
    pki.issue_node(root, NODE_A)
    revocation.ensure_crl(other)
    revocation.crl_path(pki.PkiDir(root)).write_bytes(
        revocation.crl_path(pki.PkiDir(other)).read_bytes()
    )
    try:
        revocation.revoke_node(root, NODE_A)
    except pki.PkiError as exc:
        assert "is not signed by the CA" in str(exc)
    else:
        raise AssertionError("a foreign CRL was extended")
    assert pki.PkiDir(root).node(NODE_A).cert.is_file()
