"""A private certificate authority for the broker, the nodes and the city receiver.

One directory holds everything (keep it on the city side, mode 0700)::

    ca.key  ca.crt              the CA (EC P-256, self-signed, 10 years)
    server.key  server.crt      the broker's TLS certificate
    nodes/<node_id>.key/.crt    one client certificate per node, CN = node id
    central/<name>.key/.crt     city receiver certificates, CN = "central:<name>"

Mosquitto runs with ``use_identity_as_username``, so a certificate's CN *is* the MQTT
username the ACL checks. Central CNs carry a ``central:`` prefix, which no node id can
contain, so no node certificate can ever collide with a central's ACL entry.

Everything is generated in memory first and written atomically (keys 0600) only once
all input has been validated, so a bad argument leaves the directory as it was.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from storage.atomic_file import write_atomic
from sync.topics import TopicError, validate_node_id

CA_DAYS: Final = 3650
#: Leaf certificates outlive hardware refreshes: an expired node certificate on an
#: unattended commune node is an outage, and there is no automatic renewal yet.
LEAF_DAYS: Final = 5 * 365
KEY_MODE: Final = 0o600
CERT_MODE: Final = 0o644
#: CN prefix of city receiver certificates (see the module docstring).
CENTRAL_PREFIX: Final = "central:"
#: Clock skew tolerated between the CA host and the nodes.
_BACKDATE: Final = dt.timedelta(minutes=5)

_CENTRAL_NAME_RE: Final = re.compile(r"\A[a-z0-9][a-z0-9-]{0,62}\Z")
_DNS_NAME_RE: Final = re.compile(
    r"\A(?=.{1,253}\Z)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\Z"
)


class PkiError(Exception):
    """A PKI operation that cannot proceed; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Issued:
    """Where a key pair was written and the identity it carries."""

    common_name: str  # the certificate's CN, which mosquitto uses as the username
    cert: Path
    key: Path


@dataclass(frozen=True, slots=True)
class PkiDir:
    """The file layout of a PKI directory (pure paths, touches nothing)."""

    root: Path

    @property
    def ca_key(self) -> Path:
        return self.root / "ca.key"

    @property
    def ca_cert(self) -> Path:
        return self.root / "ca.crt"

    @property
    def server_key(self) -> Path:
        return self.root / "server.key"

    @property
    def server_cert(self) -> Path:
        return self.root / "server.crt"

    def node(self, node_id: str) -> Issued:
        d = self.root / "nodes"
        return Issued(node_id, d / f"{node_id}.crt", d / f"{node_id}.key")

    def web(self, node_id: str) -> Issued:
        d = self.root / "web"
        return Issued(node_id, d / f"{node_id}.crt", d / f"{node_id}.key")

    def central(self, name: str) -> Issued:
        d = self.root / "central"
        return Issued(CENTRAL_PREFIX + name, d / f"{name}.crt", d / f"{name}.key")

    def central_usernames(self) -> list[str]:
        """CNs of every central certificate issued here, sorted."""
        d = self.root / "central"
        if not d.is_dir():
            return []
        return sorted(CENTRAL_PREFIX + p.stem for p in d.glob("*.crt"))


def validate_central_name(name: str) -> str:
    """Return ``name`` or raise ``PkiError``: same characters as a node id."""
    if not _CENTRAL_NAME_RE.match(name):
        raise PkiError(
            f"invalid central name {name!r}: use 1-63 characters a-z, 0-9 and '-', "
            "starting with a letter or digit"
        )
    return name


def validate_hostname(host: str) -> x509.GeneralName:
    """Parse a broker hostname or IP address into a subjectAltName entry."""
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        pass
    if not _DNS_NAME_RE.match(host.lower()):
        raise PkiError(f"invalid broker hostname {host!r}: not an IP address or a DNS name")
    return x509.DNSName(host.lower())


def init(
    root: Path,
    *,
    hostnames: Sequence[str] = (),
    ca_days: int = CA_DAYS,
    server_days: int = LEAF_DAYS,
    now: dt.datetime | None = None,
) -> PkiDir:
    """Create the CA and the broker's server certificate in ``root`` (which may not hold a CA).

    The server certificate always covers ``localhost`` and ``127.0.0.1`` besides
    ``hostnames``, so a broker on the same host works without extra flags.
    """
    names = [validate_hostname(h) for h in hostnames]
    for name in (x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))):
        if name not in names:
            names.append(name)
    _check_days(ca_days, server_days)
    pki = PkiDir(root)
    if pki.ca_key.exists() or pki.ca_cert.exists():
        raise PkiError(
            f"{root} already holds a CA; refusing to replace it (every certificate it "
            "signed would stop working). Remove it by hand if that is really meant."
        )
    now = now or dt.datetime.now(dt.UTC)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "motcua-edge private CA")])
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key(), now, ca_days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    first = names[0]
    server_cn = str(first.value) if isinstance(first, x509.DNSName) else "motcua-broker"
    server_cert = _leaf(
        ca_cert,
        ca_key,
        server_cn,
        server_key,
        ExtendedKeyUsageOID.SERVER_AUTH,
        now,
        server_days,
        alt_names=names,
    )

    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomic(pki.ca_key, _key_pem(ca_key), KEY_MODE)
    write_atomic(pki.ca_cert, _cert_pem(ca_cert), CERT_MODE)
    write_atomic(pki.server_key, _key_pem(server_key), KEY_MODE)
    write_atomic(pki.server_cert, _cert_pem(server_cert), CERT_MODE)
    return pki


def issue_node(
    root: Path,
    node_id: str,
    *,
    days: int = LEAF_DAYS,
    force: bool = False,
    now: dt.datetime | None = None,
) -> Issued:
    """Issue a client certificate whose CN is ``node_id``."""
    try:
        validate_node_id(node_id)
    except TopicError as exc:
        raise PkiError(str(exc)) from None
    pki = PkiDir(root)
    return _issue_client(pki, pki.node(node_id), days=days, force=force, now=now)


def issue_central(
    root: Path,
    name: str,
    *,
    days: int = LEAF_DAYS,
    force: bool = False,
    now: dt.datetime | None = None,
) -> Issued:
    """Issue a city receiver certificate whose CN is ``central:<name>``."""
    pki = PkiDir(root)
    return _issue_client(
        pki, pki.central(validate_central_name(name)), days=days, force=force, now=now
    )


def issue_web(
    root: Path,
    node_id: str,
    hostnames: Sequence[str],
    *,
    days: int = LEAF_DAYS,
    force: bool = False,
    now: dt.datetime | None = None,
) -> Issued:
    """Issue the server certificate of a node's web port (HTTPS on the office LAN) for the
    names and addresses staff browsers use to reach it (at least one)."""
    try:
        validate_node_id(node_id)
    except TopicError as exc:
        raise PkiError(str(exc)) from None
    if not hostnames:
        raise PkiError("name the node's LAN address or host name (--hostname, repeatable)")
    names = [validate_hostname(h) for h in hostnames]
    pki = PkiDir(root)
    target = pki.web(node_id)
    usage = ExtendedKeyUsageOID.SERVER_AUTH
    return _issue_client(pki, target, days=days, force=force, now=now, usage=usage, alt=names)


def _issue_client(
    pki: PkiDir,
    target: Issued,
    *,
    days: int,
    force: bool,
    now: dt.datetime | None,
    usage: x509.ObjectIdentifier = ExtendedKeyUsageOID.CLIENT_AUTH,
    alt: Sequence[x509.GeneralName] = (),
) -> Issued:
    _check_days(days)
    ca_cert, ca_key = load_ca(pki)
    if not force and (target.cert.exists() or target.key.exists()):
        raise PkiError(
            f"a certificate for {target.common_name!r} already exists at {target.cert}; "
            "pass --force to replace it (the old one stays valid until it expires)"
        )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _leaf(
        ca_cert,
        ca_key,
        target.common_name,
        key,
        usage,
        now or dt.datetime.now(dt.UTC),
        days,
        alt_names=alt,
    )
    target.cert.parent.mkdir(mode=0o700, exist_ok=True)
    # Key first: a certificate on disk always has its key beside it.
    write_atomic(target.key, _key_pem(key), KEY_MODE)
    write_atomic(target.cert, _cert_pem(cert), CERT_MODE)
    return target


def load_ca(pki: PkiDir) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    if not (pki.ca_key.is_file() and pki.ca_cert.is_file()):
        raise PkiError(f"no CA in {pki.root}: run `motcua pki init --dir {pki.root}` first")
    try:
        cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
        key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    except ValueError as exc:
        raise PkiError(f"cannot read the CA in {pki.root}: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise PkiError(f"{pki.ca_key} is not an EC private key")
    return cert, key


def _check_days(*days: int) -> None:
    for d in days:
        if d < 1:
            raise PkiError(f"validity must be at least 1 day, got {d}")


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    now: dt.datetime,
    days: int,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + dt.timedelta(days=days))
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _leaf(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    common_name: str,
    key: ec.EllipticCurvePrivateKey,
    usage: x509.ObjectIdentifier,
    now: dt.datetime,
    days: int,
    *,
    alt_names: Sequence[x509.GeneralName] = (),
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        _builder(subject, ca_cert.subject, key.public_key(), now, days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
    )
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    # Unencrypted: mosquitto and the node daemon start unattended; file mode protects it.
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)
