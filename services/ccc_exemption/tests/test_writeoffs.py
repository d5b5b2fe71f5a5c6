"""Pre-write-off and write-off: both units, the remainder, the port's bureau, and 20 racing write-offs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import grpc
from sqlalchemy import func, select

from protos.ccc_exemption.v1 import certificates_pb2 as certificates_pb
from protos.ccc_exemption.v1 import writeoffs_pb2 as pb
from services.ccc_exemption.models import WriteOffItem
from services.ccc_exemption.tests.support import SHANGHAI, SHENZHEN


def _certificate(ccc, enterprise, **kwargs):
    application = ccc.issued(enterprise, **kwargs)
    return ccc.call(enterprise, "GetCertificate", certificates_pb.GetCertificateRequest(id=application.certificate_id))


def _item(product, quantity: str, standard: str | None = None) -> pb.WriteOffItem:
    return pb.WriteOffItem(certificate_product_id=product.id, quantity=quantity,
                           standard_quantity=standard if standard is not None else quantity)


def test_a_pre_write_off_is_confirmed_by_the_port_bureau_with_a_smaller_quantity(ccc):
    enterprise = ccc.enterprise()
    certificate = _certificate(ccc, enterprise)
    product = certificate.products[0]
    refusal = ccc.fails(enterprise, "CreatePreWriteOff", pb.CreatePreWriteOffRequest(
        certificate_id=certificate.id, items=[_item(product, "4")]))
    assert list(refusal.fields) == ["portCode"]
    with ccc.new_notices("ccc_exemption.pre_write_off.submitted") as told:
        pre = ccc.call(enterprise, "CreatePreWriteOff", pb.CreatePreWriteOffRequest(
            certificate_id=certificate.id, port_code="5301", items=[_item(product, "4")]))
    assert pre.status == pb.PreWriteOff.SUBMITTED and pre.port.bureau.code == SHENZHEN
    assert told[0]["recipients"] == [{"agency": f"CIQ:{SHENZHEN}"}]
    # Only the port's bureau confirms; another bureau's WRITE_OFF post may not.
    request = pb.ConfirmPreWriteOffRequest(certificate_id=certificate.id, id=pre.id, items=[_item(product, "3")])
    assert ccc.fails(ccc.bureau(SHANGHAI, "WRITE_OFF"), "ConfirmPreWriteOff", request).reason == "NOT_THE_PORT_BUREAU"
    shenzhen = ccc.bureau(SHENZHEN, "WRITE_OFF")
    pending = ccc.call(shenzhen, "ListPendingPreWriteOffs", pb.ListPendingPreWriteOffsRequest())
    assert pre.id in {p.id for p in pending.pre_write_offs}
    confirmed = ccc.call(ccc.bureau(SHENZHEN, "WRITE_OFF"), "ConfirmPreWriteOff", request)
    assert confirmed.status == pb.PreWriteOff.CONFIRMED
    assert (confirmed.items[0].quantity, confirmed.confirmed_items[0].quantity) == ("4", "3")
    now = ccc.call(enterprise, "GetCertificate", certificates_pb.GetCertificateRequest(id=certificate.id))
    assert (now.products[0].written_off_quantity, now.products[0].remaining_quantity) == ("3", "7")
    assert now.write_off_begun and not now.products[0].done
    assert ccc.fails(ccc.bureau(SHENZHEN, "WRITE_OFF"), "ConfirmPreWriteOff", request).code == \
        grpc.StatusCode.FAILED_PRECONDITION


def test_any_write_off_post_writes_off_directly_and_a_product_is_done_when_equal(ccc):
    enterprise = ccc.enterprise()
    certificate = _certificate(ccc, enterprise)
    product = certificate.products[0]
    customs = ccc.staff("CUSTOMS:2233", "WRITE_OFF")
    done = ccc.call(customs, "CreateWriteOff", pb.CreateWriteOffRequest(
        certificate_id=certificate.id, items=[_item(product, "10")]))
    assert done.port_code == "2233" and done.port_name == "浦东国际机场海关"
    now = ccc.call(enterprise, "GetCertificate", certificates_pb.GetCertificateRequest(id=certificate.id))
    assert now.products[0].done and now.products[0].remaining_quantity == "0"
    listed = ccc.call(enterprise, "ListWriteOffs", pb.ListWriteOffsRequest(certificate_id=certificate.id))
    assert listed.total_size == 1 and listed.write_offs[0].items[0].quantity == "10"


def test_a_write_off_over_the_remainder_or_of_nothing_is_refused_naming_the_item(ccc):
    enterprise = ccc.enterprise()
    certificate = _certificate(ccc, enterprise)
    product = certificate.products[0]
    post = ccc.bureau(SHANGHAI, "WRITE_OFF")
    over = ccc.fails(post, "CreateWriteOff", pb.CreateWriteOffRequest(
        certificate_id=certificate.id, items=[_item(product, "10.5", "1")]))
    assert over.code == grpc.StatusCode.INVALID_ARGUMENT and list(over.fields) == ["items[0].quantity"]
    assert "剩余可核销数量（10台）" in over.fields["items[0].quantity"]
    nothing = ccc.fails(post, "CreateWriteOff", pb.CreateWriteOffRequest(
        certificate_id=certificate.id, items=[_item(product, "0", "0")]))
    assert list(nothing.fields) == ["items[0].quantity"]
    negative = ccc.fails(enterprise, "CreatePreWriteOff", pb.CreatePreWriteOffRequest(
        certificate_id=certificate.id, port_code="2202", items=[_item(product, "-1", "1")]))
    assert list(negative.fields) == ["items[0].quantity"]
    assert ccc.fails(ccc.bureau(SHANGHAI, "FIRST_REVIEW"), "CreateWriteOff", pb.CreateWriteOffRequest(
        certificate_id=certificate.id, items=[_item(product, "1")])).code == grpc.StatusCode.PERMISSION_DENIED


def test_twenty_concurrent_write_offs_never_pass_the_required_quantity(ccc):
    enterprise = ccc.enterprise()
    certificate = _certificate(ccc, enterprise)
    product = certificate.products[0]
    posts = [ccc.bureau(SHANGHAI, "WRITE_OFF") for _ in range(20)]
    request = pb.CreateWriteOffRequest(certificate_id=certificate.id, items=[_item(product, "3", "3")])

    def attempt(post) -> grpc.StatusCode:
        try:
            ccc.call(post, "CreateWriteOff", request)
            return grpc.StatusCode.OK
        except grpc.RpcError as error:
            return error.code()

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(attempt, posts))
    assert outcomes.count(grpc.StatusCode.OK) == 3  # 3 x 3 of 10; a fourth would make 12
    assert set(outcomes) <= {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT}
    now = ccc.call(enterprise, "GetCertificate", certificates_pb.GetCertificateRequest(id=certificate.id))
    assert now.products[0].written_off_quantity == "9"
    with ccc.context.unit_of_work(read_only=True) as uow:
        recorded = uow.session.scalar(select(func.sum(WriteOffItem.quantity)).where(
            WriteOffItem.certificate_product_id == product.id))
    assert recorded == Decimal("9")
