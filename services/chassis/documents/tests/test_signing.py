"""Signatures: PAdES by the dev CA's signer, checked by pyHanko; rotation keeps old PDFs valid; tampering is caught."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import MetaData

from services.chassis.config import ConfigError
from services.chassis.documents.certificates.common import CertificateReference
from services.chassis.documents.config import DocumentsConfig
from services.chassis.documents.providers import DocumentsProviders, ready_to_issue
from services.chassis.documents.samples import render_sample, sample_reference
from services.chassis.documents.signing import development_signer, rotate_development_signer, signer_from_config
from services.chassis.documents.tables import define_attachment_tables
from services.chassis.documents.tests import pdfs
from services.chassis.documents.verification import check_signature

ATTACHMENTS = define_attachment_tables(MetaData())

KIND = "ORIGIN_RCEP"


@pytest.fixture
def signer(tmp_path):
    return development_signer(tmp_path / "signing", "origin_cert")


def signed_sample(signer, kind: str = KIND) -> bytes:
    return signer.sign(render_sample(kind), sample_reference(kind))


def test_a_signed_certificate_validates_against_the_dev_ca_with_pyhanko(signer):
    data = signed_sample(signer)
    assert pdfs.structure_problems(data) == []
    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=list(signer.trust.roots)))
    assert status.bottom_line and status.intact and status.trusted
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert "origin_cert certificate signer" in status.signing_cert.subject.human_friendly


def test_the_signature_check_reads_the_signer_the_time_and_the_record(signer):
    check = check_signature(signed_sample(signer), signer.trust)
    assert (check.signed, check.intact, check.trusted) == (True, True, True)
    assert check.reference == sample_reference(KIND)
    assert check.signing_time is not None and check.signing_time.tzinfo is not None
    assert "certificate signer" in check.signer


def test_the_signed_pdf_still_shows_and_its_qr_still_decodes(signer):
    data = signed_sample(signer)
    assert pdfs.qr_texts(pdfs.page_image(data))[0].startswith("http://localhost:8080/v1/origin/checks/")


@pytest.mark.parametrize("where", [0.1, 0.5, 0.9])
def test_flipping_one_byte_anywhere_makes_the_signature_invalid(signer, where):
    data = bytearray(signed_sample(signer))
    signature = PdfFileReader(io.BytesIO(bytes(data))).embedded_signatures[0]
    start, length, second_start, second_length = signature.byte_range
    # Somewhere in the signed bytes (the first range covers the document, the second the tail).
    position = start + int(length * where) if where < 0.9 else second_start + second_length // 2
    data[position] ^= 0x01
    check = check_signature(bytes(data), signer.trust)
    assert not (check.signed and check.intact and check.trusted)


@pytest.mark.parametrize("offset", [40, 200, 600, 1500, -40])
def test_a_changed_digit_inside_the_signature_container_is_caught(signer, offset):
    """Anywhere in /Contents: the CMS blob (its signer certificate, its signature) or the zeros reserved after it."""
    data = bytearray(signed_sample(signer))
    _, length, second_start, _ = PdfFileReader(io.BytesIO(bytes(data))).embedded_signatures[0].byte_range
    position = (length + offset) if offset > 0 else (second_start + offset)  # hex digits between < and >
    data[position] = ord("1") if data[position] == ord("0") else ord("0")
    assert not check_signature(bytes(data), signer.trust).intact


def test_a_record_reference_rewritten_after_signing_is_not_intact_and_not_believed(signer):
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_sample(signer)))
    writer.root[generic.NameObject("/TongbanCertificate")] = generic.DictionaryObject(
        {generic.NameObject("/Number"): generic.TextStringObject("FORGED-1")})
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    check = check_signature(out.getvalue(), signer.trust)
    assert check.signed and not check.intact and "追加" in check.problem
    assert check.reference == sample_reference(KIND)  # what was signed, not what was appended


def test_another_ca_is_not_trusted(signer, tmp_path):
    stranger = development_signer(tmp_path / "elsewhere", "origin_cert")
    check = check_signature(signed_sample(stranger), signer.trust)
    assert check.intact and not check.trusted


def test_a_rotated_signer_signs_from_then_on_and_earlier_pdfs_stay_valid(tmp_path):
    directory = tmp_path / "signing"
    first = development_signer(directory, "origin_cert")
    before = signed_sample(first)
    second = rotate_development_signer(directory, "origin_cert")
    assert second.certificate.serial_number != first.certificate.serial_number
    assert development_signer(directory, "origin_cert").certificate.serial_number == second.certificate.serial_number
    after = signed_sample(second)
    trust = development_signer(directory, "origin_cert").trust
    for data, expected in ((before, first), (after, second)):
        check = check_signature(data, trust)
        assert check.intact and check.trusted
        assert check.signer == expected.subject


def test_the_dev_ca_is_made_once_and_its_keys_are_private(tmp_path):
    directory = tmp_path / "signing"
    first = development_signer(directory, "ccc_exemption")
    again = development_signer(directory, "ccc_exemption")
    assert first.trust.roots[0].dump() == again.trust.roots[0].dump()
    assert oct((directory / "ca.key.pem").stat().st_mode & 0o777) == "0o600"


def test_production_reads_key_certificate_and_roots_from_files(tmp_path):
    directory = tmp_path / "secret"
    dev = development_signer(directory, "origin_cert")
    [cert_file] = (directory / "signers").glob("*.cert.pem")
    environ = {"TONGBAN_ENV": "prod", "TONGBAN_PUBLIC_URL": "https://tongban.example.cn",
               "ORIGIN_CERT_SIGNING_KEY_FILE": str(cert_file).replace(".cert.pem", ".key.pem"),
               "ORIGIN_CERT_SIGNING_CERT_FILE": str(cert_file),
               "ORIGIN_CERT_SIGNING_TRUST_FILE": str(directory / "ca.cert.pem")}
    production = signer_from_config(DocumentsConfig.from_env("origin_cert", environ))
    assert production.certificate.dump() == dev.certificate.dump()
    reference = CertificateReference("origin_cert", KIND, "r-1", "N-1")
    check = check_signature(production.sign(render_sample(KIND), reference), dev.trust)
    assert check.intact and check.trusted and check.reference == reference


def test_production_without_signing_files_starts_but_names_each_missing_variable_when_asked_to_sign():
    with pytest.raises(ConfigError) as caught:
        DocumentsConfig.from_env("origin_cert", {"TONGBAN_ENV": "prod", "ORIGIN_CERT_ATTACHMENT_STORE": "s3"})
    assert caught.value.problems == ["ORIGIN_CERT_S3_BUCKET is required when ORIGIN_CERT_ATTACHMENT_STORE=s3"]
    # A relay or a migration of the service starts without the signer's files; the signer does not.
    config = DocumentsConfig.from_env("origin_cert", {"TONGBAN_ENV": "prod"})
    assert config.signing_dir is None
    with pytest.raises(ConfigError) as refused:
        DocumentsProviders(config, ATTACHMENTS).signer  # noqa: B018
    problems = "\n".join(refused.value.problems)
    for name in ("ORIGIN_CERT_SIGNING_KEY_FILE", "ORIGIN_CERT_SIGNING_CERT_FILE", "ORIGIN_CERT_SIGNING_TRUST_FILE",
                 "TONGBAN_PUBLIC_URL"):
        assert name in problems


def test_a_server_that_issues_certificates_makes_its_signer_before_its_first_call(tmp_path):
    context = SimpleNamespace(providers=DocumentsProviders(
        DocumentsConfig.from_env("ccc_exemption", {"CCC_EXEMPTION_SIGNING_DIR": str(tmp_path / "signing")}),
        ATTACHMENTS))
    ready_to_issue(context)
    assert list((tmp_path / "signing").glob("ca.cert.pem"))
    refusing = SimpleNamespace(providers=DocumentsProviders(DocumentsConfig.from_env(
        "ccc_exemption", {"TONGBAN_ENV": "prod"}), ATTACHMENTS))
    with pytest.raises(ConfigError):
        ready_to_issue(refusing)


