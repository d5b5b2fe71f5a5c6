"""A certificate as the documents chassis draws it: which numbered-box form each type prints on, and the
boxes filled from the certificate.

The chassis declares the RCEP, Form E and general forms. The other agreements' certificates follow the same
combined declaration-and-certificate layout as Form E; each gets that layout under its own title and with its
own agreement named in the declaration and certification, registered beside the chassis's forms the first time
one is drawn, so an agreement the head office adds prints without a code change.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from services.chassis.documents.certificates import origin as chassis
from services.chassis.documents.certificates.common import ORIGIN_FORM_E, ORIGIN_GENERAL, ORIGIN_RCEP, Marking
from services.origin_cert.domain.certificates import TRANSPORT_LABELS
from services.origin_cert.domain.origin import RVC

CHASSIS_KINDS = {"RCEP": ORIGIN_RCEP, "ASEAN": ORIGIN_FORM_E, "GENERAL": ORIGIN_GENERAL}
_REGISTERING = threading.Lock()


def form_kind(code: str, name: str, name_en: str) -> str:
    """The chassis kind the type prints on (``ORIGIN_RCEP``...), registering the agreement's own form if new."""
    kind = CHASSIS_KINDS.get(code, f"ORIGIN_{code}")
    if kind not in chassis.FORMS:
        with _REGISTERING:
            chassis.FORMS.setdefault(kind, _agreement_form(name, name_en))
    return kind


def _agreement_form(name: str, name_en: str) -> chassis.Form:
    base = chassis.FORM_E
    declaration = (
        "The undersigned hereby declares that the above details and statements are correct; that all the goods "
        f"were produced in CHINA and that they comply with the rules of origin of the {name_en} for the goods "
        "exported to {country}")
    certification = ("It is hereby certified, on the basis of control carried out, that the declaration by the "
                     "exporter is correct.")
    return replace(
        base, title=f"{name}原产地证书",
        title_lines=(("CERTIFICATE OF ORIGIN", 11), (name_en, 9), (f"{name}原产地证书", 9),
                     ("Issued in THE PEOPLE'S REPUBLIC OF CHINA", 7.5), ("See Notes Overleaf", 7)),
        official_box="4. For Official Use 供官方使用\n□ Preferential Treatment Given\n"
                     "□ Preferential Treatment Not Given (Please state reason/s)\n"
                     "Signature of Authorised Signatory of the Importing Party",
        declaration=(base.declaration[0], lambda c: f"{declaration.format(country=c.destination_country)}\n\n"
                                                    f"{c.declaration_place_date}\nPlace and date, signature"),
        certification=(base.certification[0], lambda c: f"{certification}\n\n{c.certification_place_date}\n"
                                                        "Place and date, signature and stamp of certifying authority"),
        checkboxes=(("Issued Retroactively", lambda c: c.issued_retroactively),
                    ("Third Party Invoicing", lambda c: c.third_party_invoicing)))


@dataclass(frozen=True)
class Line:
    marks: str
    description: str
    hs_code: str
    origin_criterion: str
    value_content: Decimal | None
    quantity: Decimal | None
    quantity_unit: str
    gross_weight: Decimal | None
    fob_value: Decimal | None
    marks_image: bytes | None = None


@dataclass(frozen=True)
class Printed:
    """What the certificate's boxes show, as plain values."""

    kind: str
    number: str
    exporter: str
    importer: str
    producer: str
    destination: str
    invoice_number: str
    invoice_date: date | None
    departure_date: date | None
    transport: str
    port_of_loading: str
    port_of_discharge: str
    remarks: str
    issuing_branch: str
    declared: str
    certified: str
    currency: str
    lines: Sequence[Line]
    third_party_invoicing: bool = False
    back_to_back: bool = False
    issued_retroactively: bool = False
    exhibition: bool = False


def _amount(value: Decimal | None) -> str:
    return f"{value:,.2f}" if value is not None else ""


def _criterion(line: Line) -> str:
    if line.origin_criterion == RVC and line.value_content is not None:
        return f"RVC {line.value_content}%"
    return line.origin_criterion


def _quantity(line: Line) -> str:
    parts = [f"{line.quantity.normalize():f} {line.quantity_unit}".strip() if line.quantity is not None else "",
             f"G.W. {line.gross_weight.normalize():f} KGS" if line.gross_weight is not None else ""]
    return "\n".join(p for p in parts if p)


def transport_text(means: str, vessel: str) -> str:
    label = TRANSPORT_LABELS.get(means, "")
    return ", ".join(p for p in (label, vessel) if p)


def render(printed: Printed, marking: Marking) -> bytes:
    """The certificate's PDF (unsigned), drawn by the chassis on its type's form."""
    certificate = chassis.OriginCertificate(
        kind=printed.kind, number=printed.number, exporter=printed.exporter, importer=printed.importer,
        destination_country=printed.destination, invoice_number=printed.invoice_number,
        invoice_date=printed.invoice_date, issuing_branch=printed.issuing_branch, producer=printed.producer,
        departure_date=printed.departure_date, transport=printed.transport, port_of_loading=printed.port_of_loading,
        port_of_discharge=printed.port_of_discharge, remarks=printed.remarks,
        declaration_place_date=printed.declared, certification_place_date=printed.certified,
        third_party_invoicing=printed.third_party_invoicing, back_to_back=printed.back_to_back,
        issued_retroactively=printed.issued_retroactively, exhibition=printed.exhibition,
        goods=[chassis.GoodsLine(marks=line.marks, description=line.description, hs_code=line.hs_code,
                                 origin_criterion=_criterion(line), quantity=_quantity(line),
                                 fob_value=f"{printed.currency} {_amount(line.fob_value)}" if line.fob_value else "",
                                 marks_image=line.marks_image)
               for line in printed.lines])
    return chassis.render_origin_certificate(certificate, marking)
