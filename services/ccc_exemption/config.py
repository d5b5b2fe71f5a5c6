"""The ccc_exemption service's settings (its documents settings) and providers (attachment store, signer)."""

from __future__ import annotations

from collections.abc import Mapping

from services.ccc_exemption.domain.reference import SYSTEM
from services.ccc_exemption.models import ATTACHMENT_TABLES
from services.chassis.context import ServiceContext
from services.chassis.documents.config import DocumentsConfig
from services.chassis.documents.providers import DocumentsProviders


def read_config(environ: Mapping[str, str] | None = None) -> DocumentsConfig:
    """``CCC_EXEMPTION_ATTACHMENT_STORE``, ``..._S3_*``, ``..._SIGNING_*``, ``TONGBAN_PUBLIC_URL``."""
    return DocumentsConfig.from_env(SYSTEM, environ)


CccContext = ServiceContext[DocumentsConfig, DocumentsProviders]


def make_providers(context: CccContext) -> DocumentsProviders:
    return DocumentsProviders(context.config or DocumentsConfig(service=SYSTEM), ATTACHMENT_TABLES)
