"""Signatures time-stamped by an RFC 3161 authority (PAdES B-T), against a stand-in TSA over HTTP."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from services.chassis.config import ConfigError
from services.chassis.documents.config import DocumentsConfig
from services.chassis.documents.providers import DocumentsProviders
from services.chassis.documents.samples import render_sample, sample_reference
from services.chassis.documents.tests.test_signing import ATTACHMENTS, KIND
from services.chassis.documents.tests.tsa import stand_in_tsa
from services.chassis.documents.verification import check_signature
from services.chassis.errors import Unavailable

# Far from now, so the authority's time cannot be mistaken for the signer's clock.
AUTHORITY_TIME = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def tsa(tmp_path):
    with stand_in_tsa(tmp_path, fixed_time=AUTHORITY_TIME) as running:
        yield running


def _signer(tmp_path, tsa):
    environ = {"ORIGIN_CERT_SIGNING_DIR": str(tmp_path / "signing"), "ORIGIN_CERT_TSA_URL": tsa.url,
               "ORIGIN_CERT_TSA_TRUST_FILE": str(tsa.trust_file)}
    return DocumentsProviders(DocumentsConfig.from_env("origin_cert", environ), ATTACHMENTS).signer


def test_a_signature_carries_the_authoritys_token_and_its_time_is_the_signing_time(tmp_path, tsa):
    signer = _signer(tmp_path, tsa)
    data = signer.sign(render_sample(KIND), sample_reference(KIND))
    assert tsa.requests >= 1
    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    unsigned = [attribute["type"].native for attribute in signature.signer_info["unsigned_attrs"]]
    assert unsigned == ["signature_time_stamp_token"]
    check = check_signature(data, signer.trust)
    assert (check.intact, check.trusted, check.timestamped) == (True, True, True)
    assert check.signing_time == AUTHORITY_TIME


def test_a_token_the_verifier_has_no_root_for_leaves_the_signers_own_time(tmp_path, tsa):
    signer = _signer(tmp_path, tsa)
    data = signer.sign(render_sample(KIND), sample_reference(KIND))
    without_authority = check_signature(data, signer.trust.__class__(signer.trust.system, signer.trust.roots))
    assert without_authority.intact and without_authority.trusted and not without_authority.timestamped
    assert abs(without_authority.signing_time - datetime.now(UTC)) < timedelta(minutes=5)


def test_nothing_is_signed_while_the_authority_does_not_answer(tmp_path, tsa):
    signer = _signer(tmp_path, tsa)
    tsa.answering = False
    with pytest.raises(Unavailable) as refused:
        signer.sign(render_sample(KIND), sample_reference(KIND))
    assert refused.value.reason == "TSA_UNAVAILABLE"
    tsa.answering = True
    assert check_signature(signer.sign(render_sample(KIND), sample_reference(KIND)), signer.trust).timestamped


@pytest.mark.parametrize(("given", "problem"), [
    ({"ORIGIN_CERT_TSA_URL": "http://tsa.example.cn/tsr"},
     "ORIGIN_CERT_TSA_TRUST_FILE is required with ORIGIN_CERT_TSA_URL"),
    ({"ORIGIN_CERT_TSA_TRUST_FILE": "/etc/tsa.pem"}, "ORIGIN_CERT_TSA_TRUST_FILE is set without ORIGIN_CERT_TSA_URL"),
    ({"ORIGIN_CERT_TSA_URL": "http://tsa.example.cn/tsr", "ORIGIN_CERT_TSA_TRUST_FILE": "/no/such.pem"},
     "ORIGIN_CERT_TSA_TRUST_FILE='/no/such.pem' is not a readable file"),
    ({"ORIGIN_CERT_TSA_URL": "ftp://tsa.example.cn", "ORIGIN_CERT_TSA_TRUST_FILE": "/etc/tsa.pem"},
     "ORIGIN_CERT_TSA_URL"),
])
def test_a_half_configured_authority_is_named_when_a_signer_is_asked_for(tmp_path, given, problem):
    config = DocumentsConfig.from_env("origin_cert", {"ORIGIN_CERT_SIGNING_DIR": str(tmp_path / "signing"), **given})
    with pytest.raises(ConfigError) as refused:
        DocumentsProviders(config, ATTACHMENTS).signer  # noqa: B018
    assert any(problem in p for p in refused.value.problems), refused.value.problems
