"""Sample certificates, one per kind, with made-up data: for tests, the benchmark and ``docs/samples/``.

``python -m services.chassis.documents.samples [folder]`` writes each sample, signed by the
development signer, as ``<kind>.pdf`` (default folder: ``docs/samples``).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

from services.chassis.config import REPO_ROOT
from services.chassis.documents.certificates.ccc import CccExemptionCertificate, ExemptProduct, render_ccc_exemption
from services.chassis.documents.certificates.common import (
    CCC_EXEMPTION,
    KINDS,
    ORIGIN_FORM_E,
    ORIGIN_GENERAL,
    ORIGIN_RCEP,
    CertificateReference,
    Marking,
    check_url,
)
from services.chassis.documents.certificates.origin import GoodsLine, OriginCertificate, render_origin_certificate

PUBLIC_URL = "http://localhost:8080"
# Where each system's public check lives (its own route, under its REST area).
CHECK_PATHS = {"ccc_exemption": "/v1/ccc/certificate-checks", "origin_cert": "/v1/origin/checks"}
SYSTEM_OF_KIND = {CCC_EXEMPTION: "ccc_exemption", ORIGIN_RCEP: "origin_cert", ORIGIN_FORM_E: "origin_cert",
                  ORIGIN_GENERAL: "origin_cert"}
NUMBERS = {CCC_EXEMPTION: "MB2026110000123", ORIGIN_RCEP: "R2631000012345", ORIGIN_FORM_E: "E263100001234",
           ORIGIN_GENERAL: "C263100012345"}
CHECK_CODE = "7KQ4M9TX"

CCC_SAMPLE = CccExemptionCertificate(
    number=NUMBERS[CCC_EXEMPTION], applicant="上海浦江精密机械有限公司", contract_number="PJ-2026-0318",
    invoice_number="INV-20260318-07", bill_of_lading_number="COSU6371845210",
    exemption_clause="第二条（一）为科研、测试所需的产品", trade_mode="一般贸易",
    final_use_location="上海市浦东新区（310115）", valid_from=date(2026, 3, 20), valid_until=date(2026, 9, 19),
    bureau="上海海关（原上海出入境检验检疫局）", issued_on=date(2026, 3, 20),
    products=(ExemptProduct("数字示波器", "9030200000", "DSO-X 4154A", "2", "台", "Keysight", "是德科技（马来西亚）"),
              ExemptProduct("射频信号发生器", "8543200000", "SMW200A", "1", "台", "R&S", "Rohde & Schwarz GmbH"),
              ExemptProduct("工业控制计算机", "8471500000", "IPC-610H", "4", "台", "研华", "研华科技股份有限公司")),
)

_GOODS = (
    GoodsLine(marks="N/M", description="TWO HUNDRED (200) CARTONS OF LED DESK LAMPS 发光二极管台灯", hs_code="940520",
              origin_criterion="RVC 40%", quantity="1,250 KGS", fob_value="USD 18,400.00"),
    GoodsLine(marks="PJ/TYO\nC/NO.1-80", description="EIGHTY (80) CARTONS OF STAINLESS STEEL KETTLES 不锈钢电水壶",
              hs_code="851671", origin_criterion="CTC", quantity="960 KGS", fob_value="USD 7,680.00"),
)


def origin_sample(kind: str) -> OriginCertificate:
    destination, importer, port = {
        ORIGIN_RCEP: ("JAPAN", "TOKYO LIGHTING TRADING K.K.\n2-1 MARUNOUCHI, CHIYODA-KU, TOKYO, JAPAN", "TOKYO"),
        ORIGIN_FORM_E: ("VIET NAM", "HAIPHONG HOME APPLIANCES JSC\n12 LE HONG PHONG, NGO QUYEN, HAI PHONG, VIET NAM",
                        "HAIPHONG"),
        ORIGIN_GENERAL: ("GERMANY", "HAMBURG LICHT HANDEL GMBH\nSPEICHERSTADT 5, 20457 HAMBURG, GERMANY", "HAMBURG"),
    }[kind]
    return OriginCertificate(
        kind=kind, number=NUMBERS[kind],
        exporter="SHANGHAI PUJIANG PRECISION MACHINERY CO., LTD.\n上海浦江精密机械有限公司\n"
                 "NO. 88 ZHANGJIANG ROAD, PUDONG, SHANGHAI, CHINA",
        producer="SAME AS EXPORTER" if kind == ORIGIN_RCEP else "",
        importer=importer,
        destination_country=destination, invoice_number="INV-20260318-07", invoice_date=date(2026, 3, 18),
        goods=_GOODS, issuing_branch="中国国际贸易促进委员会上海市分会 CCPIT SHANGHAI",
        departure_date=date(2026, 3, 25), transport="BY SEA, COSCO HARMONY V.026E", port_of_loading="SHANGHAI",
        port_of_discharge=port,
        remarks="", declaration_place_date="SHANGHAI, CHINA  2026-03-20",
        certification_place_date="SHANGHAI, CHINA  2026-03-21", third_party_invoicing=False)


def sample_marking(kind: str, number: str | None = None, check_code: str = CHECK_CODE,
                   public_url: str = PUBLIC_URL) -> Marking:
    system = SYSTEM_OF_KIND[kind]
    number = number or NUMBERS[kind]
    issuer = "中国国际贸易促进委员会" if system == "origin_cert" else "国家认证认可监督管理委员会"
    return Marking(number=number, check_code=check_code,
                   check_url=check_url(public_url, CHECK_PATHS[system], number, check_code), issuer=issuer)


def sample_reference(kind: str) -> CertificateReference:
    return CertificateReference(system=SYSTEM_OF_KIND[kind], kind=kind, record_id=f"sample-{kind.lower()}",
                                number=NUMBERS[kind])


def render_sample(kind: str, number: str | None = None, check_code: str = CHECK_CODE,
                  public_url: str = PUBLIC_URL) -> bytes:
    """The unsigned sample PDF of a kind, under another number and check code if given."""
    marking = sample_marking(kind, number, check_code, public_url)
    if kind == CCC_EXEMPTION:
        return render_ccc_exemption(replace(CCC_SAMPLE, number=marking.number), marking)
    return render_origin_certificate(replace(origin_sample(kind), number=marking.number), marking)


def main(argv: list[str]) -> int:
    from services.chassis.documents.signing import development_signer

    folder = Path(argv[0]) if argv else REPO_ROOT / "docs" / "samples"
    folder.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        signer = development_signer(REPO_ROOT / "var" / "signing" / SYSTEM_OF_KIND[kind], SYSTEM_OF_KIND[kind])
        path = folder / f"{kind.lower()}.pdf"
        path.write_bytes(signer.sign(render_sample(kind), sample_reference(kind)))
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
