"""The origin_cert service's settings and pluggable parts, and the type of its context.

Its settings are the documents chassis's (attachment store, signer, public URL). In dev the development CA
and signer live under ``$TONGBAN_VAR_DIR/signing/origin_cert`` (``make run``'s folder, or the e2e stack's),
unless ``ORIGIN_CERT_SIGNING_DIR`` says otherwise; the server makes them before its first call.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.chassis.context import ServiceContext
from services.chassis.documents.config import DocumentsConfig
from services.chassis.documents.providers import DocumentsProviders
from services.origin_cert.domain.actors import SYSTEM
from services.origin_cert.models import ATTACHMENTS


def read_config(environ: Mapping[str, str] | None = None) -> DocumentsConfig:
    return DocumentsConfig.from_env(SYSTEM, environ)


OriginCertContext = ServiceContext[DocumentsConfig, DocumentsProviders]


def make_providers(context: ServiceContext[DocumentsConfig, object]) -> DocumentsProviders:
    return DocumentsProviders(context.config, ATTACHMENTS)
