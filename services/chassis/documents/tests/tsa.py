"""A stand-in RFC 3161 time-stamping authority over HTTP, for the signer's TSA client to talk to.

No public TSA can be reached from here, so the tests run this one: a root, a TSA certificate
under it (extended key usage timeStamping, critical, as RFC 3161 asks), and pyHanko's own
token builder answering each ``application/timestamp-query`` POST. ``fixed_time`` makes every
token carry one moment, so a test can tell the authority's time from the signer's clock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import DummyTimeStamper


@dataclass
class RunningTsa:
    url: str
    trust_file: Path
    requests: int = 0
    answering: bool = True


def _certificate(subject: str, issuer: x509.Name | None, key, issuer_key, *, ca: bool) -> x509.Certificate:
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer or name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
               .not_valid_after(now + timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


@contextmanager
def stand_in_tsa(folder: Path, fixed_time: datetime | None = None) -> Iterator[RunningTsa]:
    # pyHanko's token builder signs with RSA only.
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = _certificate("stand-in TSA root", None, root_key, root_key, ca=True)
    tsa_cert = _certificate("stand-in TSA", root.subject, tsa_key, root_key, ca=False)
    trust_file = folder / "tsa-root.pem"
    trust_file.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    key_info = asn1_keys.PrivateKeyInfo.load(tsa_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    authority = DummyTimeStamper(_asn1(tsa_cert), key_info, certs_to_embed=[_asn1(tsa_cert)], fixed_dt=fixed_time)
    running = RunningTsa("", trust_file)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            running.requests += 1
            if not running.answering:
                self.send_error(503)
                return
            query = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = authority.request_tsa_response(query).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    running.url = f"http://127.0.0.1:{server.server_address[1]}/tsa"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        server.shutdown()
        server.server_close()
