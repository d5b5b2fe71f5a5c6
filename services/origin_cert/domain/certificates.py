"""A certificate's fields, what must be filled before it is sent (SUBMIT only complete, every gap named),
numbers, and the rules of amend-and-reissue (改证重发) and lost-and-reissue (失证重发), §1.4."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from services.chassis.errors import FailedPrecondition, FieldViolation
from services.origin_cert.domain import states
from services.origin_cert.domain.origin import CRITERIA, GENERAL, GENERAL_HS_DIGITS, RVC

TRANSPORT_MEANS = ("SEA", "AIR", "RAIL", "ROAD", "MULTIMODAL")
TRANSPORT_LABELS = {"SEA": "BY SEA", "AIR": "BY AIR", "RAIL": "BY RAIL", "ROAD": "BY ROAD",
                    "MULTIMODAL": "BY MULTIMODAL TRANSPORT"}
MAX_GOODS = 50
TEXT_LIMITS = {"invoiceNumber": 50, "importerName": 200, "importerAddress": 300, "producerName": 200,
               "producerAddress": 300, "vessel": 100, "portOfLoading": 100, "portOfDischarge": 100,
               "remarks": 500, "intermediaryName": 200, "intermediaryAddress": 300, "declarationPlace": 100}
LINE_LIMITS = {"marks": 500, "description": 1000, "packageUnit": 20, "quantityUnit": 20}


@dataclass(frozen=True)
class GoodsLine:
    pre_review_id: str = ""
    origin_criterion: str = ""
    marks: str = ""
    marks_image_id: str = ""
    description: str = ""
    package_quantity: int | None = None
    package_unit: str = ""
    hs_code: str = ""
    quantity: Decimal | None = None
    quantity_unit: str = ""
    gross_weight: Decimal | None = None
    fob_value: Decimal | None = None


@dataclass(frozen=True)
class CertificateFields:
    """What the enterprise edits (§1.4.2); the exporter is its own filing's name, not editable."""

    invoice_number: str = ""
    invoice_date: date | None = None
    importer_name: str = ""
    importer_address: str = ""
    importer_country: str = ""
    producer_name: str = ""
    producer_address: str = ""
    departure_date: date | None = None
    transport_means: str = ""
    vessel: str = ""
    port_of_loading: str = ""
    port_of_discharge: str = ""
    remarks: str = ""
    declaration_place: str = ""
    # GENERAL only: 中间商模式, shown in the exporter box when asked.
    intermediary_name: str = ""
    intermediary_address: str = ""
    intermediary_shown: bool = False
    third_party_invoicing: bool = False
    back_to_back: bool = False
    issued_retroactively: bool = False
    exhibition: bool = False
    goods: tuple[GoodsLine, ...] = field(default_factory=tuple)


def format_problems(fields: CertificateFields, certificate_type: str) -> list[FieldViolation]:
    """What is wrong with what was filled (saved even as a draft): lengths, choices, numbers, HS digits."""
    found: list[FieldViolation] = []
    if not fields.invoice_number.strip():
        found.append(FieldViolation("invoiceNumber", "请先添加发票信息（发票号）"))
    texts = {"invoiceNumber": fields.invoice_number, "importerName": fields.importer_name,
             "importerAddress": fields.importer_address, "producerName": fields.producer_name,
             "producerAddress": fields.producer_address, "vessel": fields.vessel,
             "portOfLoading": fields.port_of_loading, "portOfDischarge": fields.port_of_discharge,
             "remarks": fields.remarks, "intermediaryName": fields.intermediary_name,
             "intermediaryAddress": fields.intermediary_address, "declarationPlace": fields.declaration_place}
    found += [FieldViolation(name, f"不能超过{TEXT_LIMITS[name]}个字符") for name, value in texts.items()
              if len(value) > TEXT_LIMITS[name]]
    if fields.transport_means and fields.transport_means not in TRANSPORT_MEANS:
        found.append(FieldViolation("transportMeans", f"运输方式无效，可选：{'、'.join(TRANSPORT_MEANS)}"))
    if certificate_type != GENERAL and (fields.intermediary_name or fields.intermediary_shown):
        found.append(FieldViolation("intermediaryName", "只有一般原产地证书可以填写中间商"))
    if fields.departure_date and fields.invoice_date and fields.departure_date < fields.invoice_date:
        found.append(FieldViolation("departureDate", "出运日期不能早于发票日期"))
    if len(fields.goods) > MAX_GOODS:
        found.append(FieldViolation("goods", f"一份证书最多{MAX_GOODS}项商品"))
    for index, line in enumerate(fields.goods):
        found += _line_problems(f"goods[{index}]", line, certificate_type)
    return found


def _line_problems(at: str, line: GoodsLine, certificate_type: str) -> list[FieldViolation]:
    found = []
    texts = {"marks": line.marks, "description": line.description, "packageUnit": line.package_unit,
             "quantityUnit": line.quantity_unit}
    found += [FieldViolation(f"{at}.{name}", f"不能超过{LINE_LIMITS[name]}个字符") for name, value in texts.items()
              if len(value) > LINE_LIMITS[name]]
    if line.origin_criterion and line.origin_criterion not in CRITERIA:
        found.append(FieldViolation(f"{at}.originCriterion", f"原产地标准无效，可选：{'、'.join(CRITERIA)}"))
    if line.hs_code and (not line.hs_code.isdigit() or len(line.hs_code) not in GENERAL_HS_DIGITS):
        found.append(FieldViolation(f"{at}.hsCode", "税则号须为4、6、8或10位数字"))
    if line.package_quantity is not None and line.package_quantity <= 0:
        found.append(FieldViolation(f"{at}.packageQuantity", "包装数量须为正整数"))
    for name, value in (("quantity", line.quantity), ("grossWeight", line.gross_weight),
                        ("fobValue", line.fob_value)):
        if value is not None and value <= 0:
            found.append(FieldViolation(f"{at}.{name}", "须大于0"))
    return found


def gaps(fields: CertificateFields, certificate_type: str, *, exporter_ready: bool,
         hs_digits: int) -> list[FieldViolation]:
    """Every field still missing before the certificate may be sent to CCPIT (草稿状态下的信息不可发送)."""
    missing: list[FieldViolation] = []

    def need(name: str, value: object, label: str) -> None:
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            missing.append(FieldViolation(name, f"请填写{label}"))

    if not exporter_ready:
        missing.append(FieldViolation("exporter", "请先在企业备案中填写出口商英文名称和地址"))
    need("invoiceNumber", fields.invoice_number, "发票号")
    need("invoiceDate", fields.invoice_date, "发票日期")
    need("importerName", fields.importer_name, "进口商名称")
    need("importerAddress", fields.importer_address, "进口商地址")
    need("departureDate", fields.departure_date, "出运日期")
    need("transportMeans", fields.transport_means, "运输方式")
    need("portOfLoading", fields.port_of_loading, "装货港")
    need("portOfDischarge", fields.port_of_discharge, "卸货港")
    if fields.intermediary_shown:
        need("intermediaryName", fields.intermediary_name, "中间商名称")
    if not fields.goods:
        missing.append(FieldViolation("goods", "请添加商品"))
    for index, line in enumerate(fields.goods):
        at = f"goods[{index}]"
        need(f"{at}.preReviewId", line.pre_review_id, "备案商品（产品预审）")
        if not line.marks.strip() and not line.marks_image_id:
            missing.append(FieldViolation(f"{at}.marks", "文字唛头和图片唛头二者需要填一个"))
        need(f"{at}.description", line.description, "货物描述")
        need(f"{at}.packageQuantity", line.package_quantity, "包装数量")
        need(f"{at}.packageUnit", line.package_unit, "包装单位")
        need(f"{at}.hsCode", line.hs_code, "税则号")
        if certificate_type != GENERAL and line.hs_code and len(line.hs_code) != hs_digits:
            missing.append(FieldViolation(f"{at}.hsCode", f"该证书的税则号须为{hs_digits}位"))
        need(f"{at}.quantity", line.quantity, "数量")
        need(f"{at}.quantityUnit", line.quantity_unit, "数量单位")
        need(f"{at}.grossWeight", line.gross_weight, "毛重")
        if certificate_type != GENERAL:
            need(f"{at}.originCriterion", line.origin_criterion, "原产地标准（优惠类型）")
            if line.origin_criterion == RVC:
                need(f"{at}.fobValue", line.fob_value, "FOB值（适用区域价值成分标准时）")
    return missing


def number(prefix: str, year: int, branch_code: str, sequence: int) -> str:
    """A certificate number: type letter, two-digit year, the branch's four digits, a seven-digit serial."""
    return f"{prefix}{year % 100:02d}{branch_code}{sequence:07d}"


# ---- amend and reissue, lost and reissue ----

def check_amendable(status: str, open_amendment: bool) -> None:
    if status not in states.ISSUED:
        raise FailedPrecondition("审核通过的证书才可发起改证重发", reason="CERTIFICATE_NOT_APPROVED",
                                 metadata={"status": status})
    if open_amendment:
        raise FailedPrecondition("该证书已有未完成的改证重发，请先处理", reason="AMENDMENT_OPEN")


def check_lost_reissuable(status: str, amended: bool, reissues: Sequence[str]) -> None:
    """失证重发: approved and printed; once per certificate; never for an original whose amendment was approved."""
    if amended:
        raise FailedPrecondition("改证重发审核通过，原证书不可发起失证重发", reason="CERTIFICATE_AMENDED")
    if status != states.PRINTED:
        raise FailedPrecondition("审核通过且已完成打印的证书才可发起失证重发", reason="CERTIFICATE_NOT_PRINTED",
                                 metadata={"status": status})
    if states.APPROVED in reissues:
        raise FailedPrecondition("该证书已失证重发，不可再次申请", reason="ALREADY_REISSUED")
    if states.PENDING in reissues:
        raise FailedPrecondition("该证书的失证重发申请正在审核中", reason="REISSUE_PENDING")
