"""The ccc_exemption service's settings (its documents settings) and providers (attachment store, signer)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from services.ccc_exemption.domain.reference import SYSTEM
from services.ccc_exemption.models import ATTACHMENT_TABLES
from services.chassis.context import ServiceContext
from services.chassis.documents.config import DocumentsConfig
from services.chassis.documents.signing import CertificateSigner, signer_from_config
from services.chassis.documents.store import AttachmentStore


def read_config(environ: Mapping[str, str] | None = None) -> DocumentsConfig:
    """``CCC_EXEMPTION_ATTACHMENT_STORE``, ``..._S3_*``, ``..._SIGNING_*``, ``TONGBAN_PUBLIC_URL``."""
    return DocumentsConfig.from_env(SYSTEM, environ)


@dataclass
class CccProviders:
    config: DocumentsConfig
    store: AttachmentStore
    _signer: CertificateSigner | None = field(default=None, repr=False)

    @cached_property
    def signer(self) -> CertificateSigner:
        """Made on first use, so migrations, seeds and the relay never touch the signing keys."""
        return self._signer or signer_from_config(self.config)


CccContext = ServiceContext[DocumentsConfig, CccProviders]


def make_providers(context: CccContext) -> CccProviders:
    config = context.config or DocumentsConfig(service=SYSTEM)
    return CccProviders(config, AttachmentStore.from_config(ATTACHMENT_TABLES, config))
