"""PAdES signatures by the issuing system's signer, with pyHanko.

Development (``make run``, tests): the first start makes a development CA and a signer
under ``var/signing/<service>/`` (EC P-256 keys, mode 0600). Production: the key,
certificate, intermediates and trusted roots come from files a Kubernetes Secret
mounts (see :mod:`.config`).

Rotation never invalidates what was signed before: every PDF carries its signer's
certificate, and verification trusts the roots, not one signer. Rotating in dev adds a
new signer under the same CA (:func:`rotate_development_signer`); in production the Secret
gets the new key and certificate, and a new root is appended to the trust file while
certificates signed under the old one remain in use.
"""

from __future__ import annotations

import fcntl
import io
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import TimeStamper, TimestampRequestError
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from services.chassis.config import ConfigError
from services.chassis.documents.certificates.common import CertificateReference
from services.chassis.documents.config import DocumentsConfig, ProductionSigner, TimeStampAuthority
from services.chassis.errors import Unavailable

# The catalog entry holding the certificate's reference, inside the signed revision.
REFERENCE_KEY = "/TongbanCertificate"
REFERENCE_FIELDS = {"/System": "system", "/Kind": "kind", "/RecordId": "record_id", "/Number": "number"}
CA_YEARS = 20
SIGNER_YEARS = 3
TSA_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class SigningTrust:
    """The roots a certificate PDF of ``system`` may chain to: current and retired ones; and the roots of the
    time-stamping authority whose tokens its signatures carry, when there is one."""

    system: str
    roots: tuple[asn1_x509.Certificate, ...]
    tsa_roots: tuple[asn1_x509.Certificate, ...] = ()


@dataclass(frozen=True)
class CertificateSigner:
    system: str
    certificate: asn1_x509.Certificate
    signer: signers.SimpleSigner
    trust: SigningTrust
    # A time-stamping authority's client: each signature then carries its token (PAdES B-T).
    timestamper: TimeStamper | None = None

    @property
    def subject(self) -> str:
        return self.certificate.subject.human_friendly

    def sign(self, pdf: bytes, reference: CertificateReference, *, reason: str = "签发证书") -> bytes:
        """The PDF with ``reference`` in its catalog and a PAdES signature over all of it: B-B, or B-T with the
        time-stamping authority's token; refuses with Unavailable while that authority does not answer."""
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        writer.root[generic.NameObject(REFERENCE_KEY)] = generic.DictionaryObject({
            generic.NameObject(key): generic.TextStringObject(getattr(reference, attribute))
            for key, attribute in REFERENCE_FIELDS.items()})
        writer.update_root()
        metadata = signers.PdfSignatureMetadata(
            field_name="TongbanSignature", subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
            reason=reason, location="CN", name=self.system)
        try:
            return signers.PdfSigner(metadata, self.signer, timestamper=self.timestamper).sign_pdf(writer).getvalue()
        except TimestampRequestError as error:
            # Nothing is issued without its time stamp: the caller's unit of work rolls back and may be retried.
            raise Unavailable("时间戳服务暂不可用，证书未能签发，请稍后重试", reason="TSA_UNAVAILABLE") from error


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _pem_certificates(path: Path) -> list[asn1_x509.Certificate]:
    return [_asn1(c) for c in x509.load_pem_x509_certificates(path.read_bytes())]


def _simple_signer(key_pem: bytes, cert: asn1_x509.Certificate, chain: Sequence[asn1_x509.Certificate],
                   password: str | None = None) -> signers.SimpleSigner:
    key = serialization.load_pem_private_key(key_pem, password.encode() if password else None)
    key_info = asn1_keys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    # Roots stay out of the PDF: a verifier brings its own, and an embedded copy nobody checks could be altered.
    return signers.SimpleSigner(signing_cert=cert, signing_key=key_info,
                                cert_registry=SimpleCertificateStore.from_certs(list(chain)), embed_roots=False)


def production_signer(files: ProductionSigner, system: str) -> CertificateSigner:
    certificate = _pem_certificates(files.cert_file)[0]
    chain = _pem_certificates(files.chain_file) if files.chain_file else []
    roots = tuple(_pem_certificates(files.trust_file))
    signer = _simple_signer(files.key_file.read_bytes(), certificate, [*chain, *roots], files.key_password)
    return CertificateSigner(system, certificate, signer, SigningTrust(system, roots))


def signer_from_config(config: DocumentsConfig) -> CertificateSigner:
    """The production signer when its files are configured, else the development one (made on first use).

    Production without its files (or its public URL) is refused here, naming each missing variable.
    """
    if config.issuing_problems:
        raise ConfigError(list(config.issuing_problems))
    if config.signer_files is not None:
        signer = production_signer(config.signer_files, config.service)
    elif config.signing_dir is None:
        raise ValueError("no signer configured")
    else:
        signer = development_signer(config.signing_dir, config.service)
    return with_time_stamps(signer, config.tsa) if config.tsa is not None else signer


def with_time_stamps(signer: CertificateSigner, tsa: TimeStampAuthority) -> CertificateSigner:
    """``signer`` with the authority's tokens in each signature, and its roots to check them by."""
    return replace(signer, timestamper=RequestsHTTPTimeStamper(tsa.url, timeout=TSA_TIMEOUT_SECONDS),
                   trust=replace(signer.trust, tsa_roots=tuple(_pem_certificates(tsa.trust_file))))


# -- development CA -----------------------------------------------------------------------------

def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tongban (development)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=signing, content_commitment=signing, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=not signing,
                         crl_sign=not signing, encipher_only=False, decipher_only=False)


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Processes of one service starting together make one CA, not two."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _ensure_ca(directory: Path, system: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key_path, cert_path = directory / "ca.key.pem", directory / "ca.cert.pem"
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), None)
        return key, x509.load_pem_x509_certificate(cert_path.read_bytes())  # type: ignore[return-value]
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    name = _name(f"{system} development CA")
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=365 * CA_YEARS))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(_usage(signing=False), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                   .sign(key, hashes.SHA256()))
    _write_private(key_path, _key_pem(key))
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key, certificate


def _new_signer(directory: Path, system: str, ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    serial = x509.random_serial_number()
    certificate = (x509.CertificateBuilder().subject_name(_name(f"{system} certificate signer"))
                   .issuer_name(ca.subject).public_key(key.public_key()).serial_number(serial)
                   .not_valid_before(now - timedelta(minutes=5))
                   .not_valid_after(now + timedelta(days=365 * SIGNER_YEARS))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(_usage(signing=True), critical=True)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                                  critical=False)
                   .sign(ca_key, hashes.SHA256()))
    folder = directory / "signers"
    folder.mkdir(exist_ok=True)
    # Names sort by creation, so the last one is the current signer.
    stem = f"{now:%Y%m%dT%H%M%S%f}-{serial:x}"[:40]
    _write_private(folder / f"{stem}.key.pem", _key_pem(key))
    (folder / f"{stem}.cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def _load_current(directory: Path, system: str) -> CertificateSigner:
    current = sorted((directory / "signers").glob("*.cert.pem"))[-1]
    certificate = _pem_certificates(current)[0]
    roots = tuple(_pem_certificates(directory / "ca.cert.pem"))
    key_pem = current.with_name(current.name.replace(".cert.pem", ".key.pem")).read_bytes()
    return CertificateSigner(system, certificate, _simple_signer(key_pem, certificate, roots),
                             SigningTrust(system, roots))


def development_signer(directory: Path, system: str) -> CertificateSigner:
    """The current development signer of ``system``, making the CA and a first signer if there are none."""
    with _locked(directory):
        if not list((directory / "signers").glob("*.cert.pem")):
            ca_key, ca = _ensure_ca(directory, system)
            _new_signer(directory, system, ca_key, ca)
        return _load_current(directory, system)


def rotate_development_signer(directory: Path, system: str) -> CertificateSigner:
    """A new signer under the same CA becomes current; earlier ones stay on disk, their PDFs still valid."""
    with _locked(directory):
        ca_key, ca = _ensure_ca(directory, system)
        _new_signer(directory, system, ca_key, ca)
        return _load_current(directory, system)
