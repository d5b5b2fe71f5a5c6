"""The service's settings: it keeps attachments but signs nothing, so production needs no signer."""

from __future__ import annotations

import pytest

from services.chassis.config import ConfigError
from services.inspection.config import read_config


def test_production_starts_without_a_signer_or_a_public_url_but_needs_its_own_secret_key():
    with pytest.raises(ConfigError) as refused:
        read_config({"TONGBAN_ENV": "prod"})
    assert refused.value.problems == ["INSPECTION_SECRET_KEY is required but not set"]
    config = read_config({"TONGBAN_ENV": "prod", "INSPECTION_SECRET_KEY": "a-production-key-of-the-service"})
    assert config.documents.store == "database" and config.review_agency == "CUSTOMS:0000"


def test_a_bucket_store_needs_its_bucket_and_the_review_agency_must_be_customs():
    with pytest.raises(ConfigError) as refused:
        read_config({"INSPECTION_ATTACHMENT_STORE": "s3", "INSPECTION_REVIEW_AGENCY": "MIIT_RE_OFFICE"})
    assert len(refused.value.problems) == 2
    assert any("INSPECTION_S3_BUCKET" in p for p in refused.value.problems)
    bucket = read_config({"INSPECTION_ATTACHMENT_STORE": "s3", "INSPECTION_S3_BUCKET": "psi"}).documents
    assert bucket.s3_bucket == "psi"
