"""The inspection service's own settings, its pluggable parts, and the type of its context.

``INSPECTION_REVIEW_AGENCY`` (default ``CUSTOMS:0000``, the General Administration): the customs office
whose staff hear of filings and filing changes to review. The attachment store's variables are the
documents chassis' (``INSPECTION_ATTACHMENT_STORE``, ``INSPECTION_S3_BUCKET``, ``INSPECTION_S3_PREFIX``,
``S3_ENDPOINT_URL``); inspection issues no PDF (the filing certificate is a number), so it never asks
for a signer and needs no public URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.chassis.config import Env
from services.chassis.context import ServiceContext
from services.chassis.crypto import DEV_SECRET_KEY, FieldCipher, secret_key
from services.chassis.documents.config import DocumentsConfig
from services.chassis.documents.providers import DocumentsProviders
from services.inspection.domain.actors import SYSTEM, is_customs_agency
from services.inspection.models import ATTACHMENT_TABLES, CIPHER

DEFAULT_REVIEW_AGENCY = "CUSTOMS:0000"


@dataclass(frozen=True)
class InspectionConfig:
    documents: DocumentsConfig
    review_agency: str = DEFAULT_REVIEW_AGENCY
    # INSPECTION_SECRET_KEY: encrypts the institutions' ID and passport numbers at rest.
    secret_key: str = DEV_SECRET_KEY


def read_config(environ: Mapping[str, str] | None = None) -> InspectionConfig:
    env = Env(environ)
    # The store's settings; inspection issues no certificate, so it never asks for a signer.
    documents = DocumentsConfig.read(SYSTEM, env)
    agency = env.str("INSPECTION_REVIEW_AGENCY", DEFAULT_REVIEW_AGENCY)
    if not is_customs_agency(agency):
        env.problems.append(f"INSPECTION_REVIEW_AGENCY={agency!r} is not a customs office (CUSTOMS:<code>)")
    key = secret_key(env, "INSPECTION_SECRET_KEY")
    env.check()
    return InspectionConfig(documents=documents, review_agency=agency, secret_key=key)


InspectionContext = ServiceContext[InspectionConfig, DocumentsProviders]


def make_providers(context: InspectionContext) -> DocumentsProviders:
    config = context.config or read_config({})
    CIPHER.use(FieldCipher(config.secret_key, "tongban-inspection"))
    return DocumentsProviders(config.documents, ATTACHMENT_TABLES)
