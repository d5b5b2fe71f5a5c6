"""The origin_cert service's settings and pluggable parts, and the type of its context.

Its settings are the documents chassis's (attachment store, signer, public URL). In dev the development CA
and signer live under ``$TONGBAN_VAR_DIR/signing/origin_cert`` (``make run``'s folder, or the e2e stack's),
unless ``ORIGIN_CERT_SIGNING_DIR`` says otherwise; they are made on the first certificate signed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path

from services.chassis.config import Env
from services.chassis.context import ServiceContext
from services.chassis.documents.config import DocumentsConfig
from services.chassis.documents.signing import CertificateSigner, signer_from_config
from services.chassis.documents.store import AttachmentStore
from services.origin_cert.domain.actors import SYSTEM
from services.origin_cert.models import ATTACHMENTS

SIGNING_DIR = "ORIGIN_CERT_SIGNING_DIR"


def read_config(environ: Mapping[str, str] | None = None) -> DocumentsConfig:
    values = dict(os.environ if environ is None else environ)
    var_dir = values.get("TONGBAN_VAR_DIR")
    if var_dir and not values.get(SIGNING_DIR):
        values[SIGNING_DIR] = str(Path(var_dir) / "signing" / SYSTEM)
    env = Env(values)
    config = DocumentsConfig.read(SYSTEM, env)
    env.check()
    return config


class OriginCertProviders:
    """The attachment store, and the certificate signer made on first use (so a migrate or a relay makes no CA)."""

    def __init__(self, config: DocumentsConfig):
        self.config = config
        self.store = AttachmentStore.from_config(ATTACHMENTS, config)
        self._signer: CertificateSigner | None = None
        self._lock = threading.Lock()

    @property
    def signer(self) -> CertificateSigner:
        if self._signer is None:
            with self._lock:
                if self._signer is None:
                    self._signer = signer_from_config(self.config)
        return self._signer


OriginCertContext = ServiceContext[DocumentsConfig, OriginCertProviders]


def make_providers(context: ServiceContext[DocumentsConfig, object]) -> OriginCertProviders:
    return OriginCertProviders(context.config)
