"""docs/samples: one signed sample per certificate kind, as ``python -m services.chassis.documents.samples`` makes."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from services.chassis.config import REPO_ROOT
from services.chassis.documents.certificates.common import KINDS
from services.chassis.documents.samples import main, sample_reference
from services.chassis.documents.signing import development_signer
from services.chassis.documents.tests import pdfs
from services.chassis.documents.verification import check_signature


@pytest.mark.parametrize("kind", KINDS)
def test_the_committed_sample_is_a_signed_pdf_of_its_kind(kind):
    data = (REPO_ROOT / "docs" / "samples" / f"{kind.lower()}.pdf").read_bytes()
    assert pdfs.structure_problems(data) == []
    assert PdfFileReader(io.BytesIO(data)).embedded_signatures
    assert pdfs.qr_texts(pdfs.page_image(data))


def test_the_samples_script_writes_each_kind_signed_and_verifiable(tmp_path, monkeypatch):
    monkeypatch.setattr("services.chassis.documents.samples.REPO_ROOT", tmp_path)
    assert main([str(tmp_path / "out")]) == 0
    for kind in KINDS:
        reference = sample_reference(kind)
        trust = development_signer(tmp_path / "var" / "signing" / reference.system, reference.system).trust
        check = check_signature((tmp_path / "out" / f"{kind.lower()}.pdf").read_bytes(), trust)
        assert check.intact and check.trusted and check.reference == reference
