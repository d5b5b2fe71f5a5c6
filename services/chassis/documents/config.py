"""The documents settings of a service, from its environment, every problem named by its variable.

``<SERVICE>_ATTACHMENT_STORE``   ``database`` (default) or ``s3``
``<SERVICE>_S3_BUCKET``          the bucket (required with ``s3``); ``<SERVICE>_S3_PREFIX`` a key prefix
``S3_ENDPOINT_URL``              an S3-compatible endpoint (MinIO, Ceph, OSS...); credentials and region by
                                 boto3's own chain (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``)
``<SERVICE>_SIGNING_KEY_FILE``   the signer's PEM private key (a mounted Secret); with ``..._CERT_FILE`` its
                                 certificate, ``..._CHAIN_FILE`` the intermediates, ``..._KEY_PASSWORD`` if encrypted
``<SERVICE>_SIGNING_TRUST_FILE`` PEM roots a certificate may chain to when verified: the current and retired ones
``<SERVICE>_SIGNING_DIR``        dev only: where the development CA and signers are made
                                 (``$TONGBAN_VAR_DIR/signing/<service>``, ``var/`` by default)
``<SERVICE>_TSA_URL``            an RFC 3161 time-stamping authority: each signature then carries its token
                                 (PAdES B-T), so the signing time outlives the signer's certificate; with
                                 ``<SERVICE>_TSA_TRUST_FILE``, the PEM roots its tokens are checked against
``TONGBAN_PUBLIC_URL``           where the public reaches the gateway, for the QR code's check link
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from services.chassis.config import REPO_ROOT, REQUIRED, Env, env_prefix

STORES = ("database", "s3")
DEV_PUBLIC_URL = "http://localhost:8080"


@dataclass(frozen=True)
class ProductionSigner:
    """Key and certificate files of a production signer, as a Kubernetes Secret mounts them."""

    key_file: Path
    cert_file: Path
    chain_file: Path | None
    trust_file: Path
    key_password: str | None = None


@dataclass(frozen=True)
class TimeStampAuthority:
    """Where signatures get their time-stamp tokens, and the roots those tokens chain to."""

    url: str
    trust_file: Path


@dataclass(frozen=True)
class DocumentsConfig:
    service: str
    store: str = "database"
    s3_bucket: str | None = None
    s3_prefix: str = ""
    s3_endpoint_url: str | None = None
    public_url: str = DEV_PUBLIC_URL
    # Production key material; None in dev and test, where a development CA is made under ``signing_dir``.
    signer_files: ProductionSigner | None = None
    signing_dir: Path | None = None
    tsa: TimeStampAuthority | None = None
    # What keeps this process from issuing certificates (production without its signer files or public
    # URL). Only a process that signs needs them, so they are named when a signer is asked for, not at
    # every start: a relay, a migration or a service that only stores attachments runs without them.
    issuing_problems: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, service: str, environ: Mapping[str, str] | None = None) -> DocumentsConfig:
        env = Env(environ)
        config = cls.read(service, env)
        env.check()
        return config

    @classmethod
    def read(cls, service: str, env: Env) -> DocumentsConfig:
        """Read without checking, so a service's own settings can add their problems first."""
        prefix = env_prefix(service)
        environment = env.environment()
        store = env.str(f"{prefix}_ATTACHMENT_STORE", "database", choices=STORES)
        bucket = env.optional(f"{prefix}_S3_BUCKET")
        if store == "s3" and not bucket:
            env.problems.append(f"{prefix}_S3_BUCKET is required when {prefix}_ATTACHMENT_STORE=s3")
        key_file = env.optional(f"{prefix}_SIGNING_KEY_FILE")
        cert_file = env.optional(f"{prefix}_SIGNING_CERT_FILE")
        issuing = Env(env.environ)
        signer_files = None
        if key_file or cert_file or environment == "prod":
            signer_files = _signer_files(issuing, prefix, key_file, cert_file)
        public_default: str | object = DEV_PUBLIC_URL if environment != "prod" else REQUIRED
        public_url = issuing.url("TONGBAN_PUBLIC_URL", public_default, schemes=("http", "https")).rstrip("/")
        return cls(
            service=service,
            store=store,
            s3_bucket=bucket,
            s3_prefix=env.str(f"{prefix}_S3_PREFIX", ""),
            s3_endpoint_url=env.url("S3_ENDPOINT_URL", "", schemes=("http", "https")) or None,
            public_url=public_url,
            signer_files=signer_files,
            # Production never makes a development CA, even without its signer files.
            signing_dir=None if signer_files or environment == "prod" else Path(env.str(
                f"{prefix}_SIGNING_DIR", str(_var_dir(env) / "signing" / service))),
            tsa=_tsa(issuing, prefix),
            issuing_problems=tuple(issuing.problems),
        )


def _var_dir(env: Env) -> Path:
    """Where `make run` keeps its state (``TONGBAN_VAR_DIR``), so each stack has its own development CA."""
    return Path(env.str("TONGBAN_VAR_DIR", str(REPO_ROOT / "var")))


def _tsa(env: Env, prefix: str) -> TimeStampAuthority | None:
    url = env.url(f"{prefix}_TSA_URL", "", schemes=("http", "https"))
    trust_file = env.optional(f"{prefix}_TSA_TRUST_FILE")
    if not url:
        if trust_file:
            env.problems.append(f"{prefix}_TSA_TRUST_FILE is set without {prefix}_TSA_URL")
        return None
    if not trust_file:
        env.problems.append(f"{prefix}_TSA_TRUST_FILE is required with {prefix}_TSA_URL, to check its tokens")
        return None
    if not Path(trust_file).is_file():
        env.problems.append(f"{prefix}_TSA_TRUST_FILE={trust_file!r} is not a readable file")
        return None
    return TimeStampAuthority(url, Path(trust_file))


def _signer_files(env: Env, prefix: str, key_file: str | None, cert_file: str | None) -> ProductionSigner | None:
    names = {"key": f"{prefix}_SIGNING_KEY_FILE", "cert": f"{prefix}_SIGNING_CERT_FILE",
             "trust": f"{prefix}_SIGNING_TRUST_FILE"}
    trust_file = env.optional(names["trust"])
    chain_file = env.optional(f"{prefix}_SIGNING_CHAIN_FILE")
    given = {"key": key_file, "cert": cert_file, "trust": trust_file}
    for part, value in given.items():
        if not value:
            env.problems.append(f"{names[part]} is required to sign certificates outside dev")
        elif not Path(value).is_file():
            env.problems.append(f"{names[part]}={value!r} is not a readable file")
    if chain_file and not Path(chain_file).is_file():
        env.problems.append(f"{prefix}_SIGNING_CHAIN_FILE={chain_file!r} is not a readable file")
    if not all(given.values()):
        return None
    return ProductionSigner(key_file=Path(key_file or ""), cert_file=Path(cert_file or ""),
                            chain_file=Path(chain_file) if chain_file else None, trust_file=Path(trust_file or ""),
                            key_password=env.optional(f"{prefix}_SIGNING_KEY_PASSWORD"))

