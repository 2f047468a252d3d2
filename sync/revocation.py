"""Revoking a node's certificate: a CRL signed by the province CA, which the broker checks.

``crl.pem`` in the PKI directory is the whole state: revoking re-signs it with one more
entry. Mosquitto reads it through ``crlfile`` (``broker_config``), and with a CRL in place
OpenSSL refuses any client certificate whose serial it lists. An empty CRL is written by
``ensure_crl`` so the broker's config can always name the file.

The CRL's next update is set as far out as the CA itself lives: OpenSSL refuses *every*
client once a CRL has passed its next update, and an unattended province must never lose
all its nodes because nobody re-signed a list in time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from storage.atomic_file import write_atomic
from sync.pki import CERT_MODE, PkiDir, PkiError, load_ca
from sync.topics import TopicError, validate_node_id

CRL_NAME: Final = "crl.pem"
#: Revoked certificates are kept beside the others under this suffix (for the record).
REVOKED_SUFFIX: Final = ".revoked"


@dataclass(frozen=True, slots=True)
class Revoked:
    node_id: str
    serial: int
    crl: Path
    already: bool  # it was revoked before: nothing changed


def crl_path(pki: PkiDir) -> Path:
    return pki.root / CRL_NAME


def ensure_crl(root: Path, now: dt.datetime | None = None) -> Path:
    """Write an empty CRL if the directory has none (older PKI directories); its path."""
    pki = PkiDir(root)
    path = crl_path(pki)
    if not path.is_file():
        _write_crl(pki, [], now or dt.datetime.now(dt.UTC))
    return path


def revoked_serials(root: Path) -> list[int]:
    """Serials listed in the directory's CRL (after checking the CA signed it)."""
    return [entry.serial_number for entry in _load_crl(PkiDir(root))]


def revoke_node(root: Path, node_id: str, now: dt.datetime | None = None) -> Revoked:
    """Add node ``node_id``'s current certificate to the CRL and set the certificate aside
    (``nodes/<id>.crt.revoked``), so that ``issue-node`` makes a new one without --force."""
    try:
        validate_node_id(node_id)
    except TopicError as exc:
        raise PkiError(str(exc)) from None
    pki = PkiDir(root)
    issued = pki.node(node_id)
    now = now or dt.datetime.now(dt.UTC)
    set_aside = issued.cert.with_name(issued.cert.name + REVOKED_SUFFIX)
    source = issued.cert if issued.cert.is_file() else set_aside
    if not source.is_file():
        raise PkiError(f"no certificate was issued to node {node_id!r} in {root} ({issued.cert})")
    try:
        cert = x509.load_pem_x509_certificate(source.read_bytes())
    except ValueError as exc:
        raise PkiError(f"cannot read {source}: {exc}") from exc
    entries = _load_crl(pki)
    already = any(e.serial_number == cert.serial_number for e in entries)
    if not already:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(now)
            .build()
        )
        _write_crl(pki, [*entries, entry], now)
    if source == issued.cert:
        issued.cert.replace(set_aside)
        issued.key.unlink(missing_ok=True)  # a revoked key must not be handed out again
    return Revoked(node_id, cert.serial_number, crl_path(pki), already)


def _load_crl(pki: PkiDir) -> list[x509.RevokedCertificate]:
    path = crl_path(pki)
    if not path.is_file():
        return []
    ca_cert, _ = load_ca(pki)
    try:
        crl = x509.load_pem_x509_crl(path.read_bytes())
    except ValueError as exc:
        raise PkiError(f"cannot read {path}: {exc}") from exc
    public = ca_cert.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey) or not crl.is_signature_valid(public):
        raise PkiError(f"{path} is not signed by the CA in {pki.root}; refusing to extend it")
    return list(crl)


def _write_crl(pki: PkiDir, entries: list[x509.RevokedCertificate], now: dt.datetime) -> None:
    ca_cert, ca_key = load_ca(pki)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - dt.timedelta(minutes=5))
        .next_update(max(ca_cert.not_valid_after_utc, now + dt.timedelta(days=1)))
    )
    for entry in entries:
        builder = builder.add_revoked_certificate(entry)
    crl = builder.sign(ca_key, hashes.SHA256())
    write_atomic(crl_path(pki), crl.public_bytes(serialization.Encoding.PEM), CERT_MODE)
