"""The inspection service's own settings, its pluggable parts, and the type of its context.

``INSPECTION_REVIEW_AGENCY`` (default ``CUSTOMS:0000``, the General Administration): the customs office
whose staff hear of filings and filing changes to review. The attachment store's variables are the
documents chassis' (``INSPECTION_ATTACHMENT_STORE``, ``INSPECTION_S3_BUCKET``, ``INSPECTION_S3_PREFIX``,
``S3_ENDPOINT_URL``); inspection issues no PDF (the filing certificate is a number), so it reads no
signer and no public URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.chassis.config import Env
from services.chassis.context import ServiceContext
from services.chassis.documents.config import STORES, DocumentsConfig
from services.chassis.documents.store import AttachmentStore
from services.inspection.domain.actors import SYSTEM, is_customs_agency
from services.inspection.models import ATTACHMENT_TABLES

DEFAULT_REVIEW_AGENCY = "CUSTOMS:0000"


@dataclass(frozen=True)
class InspectionConfig:
    documents: DocumentsConfig
    review_agency: str = DEFAULT_REVIEW_AGENCY


def _attachment_store(env: Env) -> DocumentsConfig:
    """Where attachments live, and nothing of signing: what the chassis store is made from."""
    prefix = SYSTEM.upper()
    store = env.str(f"{prefix}_ATTACHMENT_STORE", "database", choices=STORES)
    bucket = env.optional(f"{prefix}_S3_BUCKET")
    if store == "s3" and bucket is None:
        env.problems.append(f"{prefix}_S3_BUCKET must name the bucket when {prefix}_ATTACHMENT_STORE=s3")
    endpoint = env.url("S3_ENDPOINT_URL", "", schemes=("http", "https"))
    return DocumentsConfig(service=SYSTEM, store=store, s3_bucket=bucket, s3_endpoint_url=endpoint or None,
                           s3_prefix=env.str(f"{prefix}_S3_PREFIX", ""))


def read_config(environ: Mapping[str, str] | None = None) -> InspectionConfig:
    env = Env(environ)
    documents = _attachment_store(env)
    agency = env.str("INSPECTION_REVIEW_AGENCY", DEFAULT_REVIEW_AGENCY)
    if not is_customs_agency(agency):
        env.problems.append(f"INSPECTION_REVIEW_AGENCY={agency!r} is not a customs office (CUSTOMS:<code>)")
    env.check()
    return InspectionConfig(documents=documents, review_agency=agency)


@dataclass(frozen=True)
class InspectionProviders:
    # Commission documents, inspection results and supervision materials.
    attachments: AttachmentStore


InspectionContext = ServiceContext[InspectionConfig, InspectionProviders]


def make_providers(context: InspectionContext) -> InspectionProviders:
    config = context.config or read_config({})
    return InspectionProviders(attachments=AttachmentStore.from_config(ATTACHMENT_TABLES, config.documents))
