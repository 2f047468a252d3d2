"""A ready-made test PKI (CA, two nodes, one central) and a TLS broker that uses it.

The broker runs exactly the config that ``motcua pki mosquitto-config`` writes, plus the
test-only lines the ``Mosquitto`` helper appends (logging, ``user root`` under root).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sync import broker_config, pki
from tests.support.mosquitto import Mosquitto, persistence_dir
from tests.support.mqtt_client import TlsFiles

#: Identities issued in every bundle.
NODE_A: Final = "xa-an-binh"
NODE_B: Final = "phuong-hai-chau"
CENTRAL: Final = "main"


@dataclass(frozen=True)
class PkiBundle:
    """A PKI directory with a CA, a broker certificate, ``NODE_A``, ``NODE_B``, ``CENTRAL``."""

    dir: pki.PkiDir

    @classmethod
    def create(cls, root: Path) -> PkiBundle:
        layout = pki.init(root)
        pki.issue_node(root, NODE_A)
        pki.issue_node(root, NODE_B)
        pki.issue_central(root, CENTRAL)
        return cls(layout)

    def node(self, node_id: str) -> TlsFiles:
        issued = self.dir.node(node_id)
        return TlsFiles(self.dir.ca_cert, issued.cert, issued.key)

    def central(self, name: str = CENTRAL) -> TlsFiles:
        issued = self.dir.central(name)
        return TlsFiles(self.dir.ca_cert, issued.cert, issued.key)

    def anonymous(self) -> TlsFiles:
        """Trusts the CA but presents no client certificate."""
        return TlsFiles(self.dir.ca_cert)

    def broker(self, workdir: Path) -> Mosquitto:
        """A TLS broker (not started) with this PKI's generated config and ACL."""
        workdir.mkdir(parents=True, exist_ok=True)

        def render(port: int) -> str:
            files = broker_config.write(
                self.dir.root,
                port=port,
                out=workdir / "generated.conf",
                bind_address="127.0.0.1",
                persistence_dir=persistence_dir(workdir),
            )
            return files.config.read_text()

        # The readiness probe needs a certificate too; the central's will do.
        central = self.central()
        assert central.cert is not None and central.key is not None
        probe = ssl.create_default_context(cafile=str(central.ca))
        probe.load_cert_chain(str(central.cert), str(central.key))
        return Mosquitto(workdir, render, probe_ssl=probe)
