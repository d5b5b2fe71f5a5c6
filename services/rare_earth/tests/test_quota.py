"""Production quota plans (manual §6, §7.1): issue, allocate down the chain, confirm bottom-up."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import grpc
import pytest

from protos.rare_earth.v1 import quota_pb2 as quota_pb

_years = itertools.count(2030)


@pytest.fixture
def chain(rare_earth):
    """The office, a group with two approved subsidiaries, and a plan of 1000 t issued to the group."""
    office = rare_earth.office()
    group = rare_earth.approved("中国稀土集团计划测试", "GROUP")
    mine = rare_earth.approved("寻乌稀土开采公司", "MINING")
    smelter = rare_earth.approved("定南冶炼分离公司", "SMELTING_SEPARATION")
    rare_earth.affiliate(mine, group)
    rare_earth.affiliate(smelter, group)
    year = next(_years)
    plan = rare_earth.call(office, "CreateQuotaPlan", quota_pb.CreateQuotaPlanRequest(
        year=year, batch=1, kind=quota_pb.QuotaPlan.MINING,
        allocations=[quota_pb.AllocationInput(enterprise_id=group.enterprise_id, quota="1000")]))
    return {"office": office, "group": group, "mine": mine, "smelter": smelter, "plan": plan, "year": year}


def test_the_office_issues_a_plan_the_group_allocates_and_the_subsidiary_confirms(rare_earth, chain):
    group, mine, plan, year = chain["group"], chain["mine"], chain["plan"], chain["year"]
    assert plan.total_quota == "1000.000" and plan.allocations[0].allocating_unit == "稀土办"

    with rare_earth.new_notices("rare_earth.quota.allocated") as allocated_notice:
        allocation = rare_earth.call(group, "AllocateQuota", quota_pb.AllocateQuotaRequest(
            plan_id=plan.id, to_enterprise_id=mine.enterprise_id, quota="600.5"))
    assert (allocation.quota, allocation.allocating_unit) == ("600.500", "中国稀土集团计划测试")
    assert allocated_notice[0]["recipients"][0]["organizationId"] == mine.organization_id
    assert allocated_notice[0]["params"]["quota"] == "600.5"

    held = rare_earth.call(group, "ListQuotaAllocations", quota_pb.ListQuotaAllocationsRequest(year=year, batch=1))
    assert (held.quota_allocations[0].allocated_quota, held.quota_allocations[0].remaining_quota) == (
        "600.500", "399.500")

    received = rare_earth.call(mine, "ListQuotaAllocations", quota_pb.ListQuotaAllocationsRequest(year=year, batch=1))
    assert [a.id for a in received.quota_allocations] == [allocation.id]
    records = rare_earth.call(mine, "ListAllocationRecords", quota_pb.ListAllocationRecordsRequest(
        allocation_id=allocation.id))
    assert [(r.allocating_unit, r.receiving_unit, r.quota) for r in records.allocation_records] == [
        ("中国稀土集团计划测试", "寻乌稀土开采公司", "600.500")]
    group_records = rare_earth.call(group, "ListAllocationRecords", quota_pb.ListAllocationRecordsRequest(
        allocation_id=held.quota_allocations[0].id))
    assert [r.allocating_unit for r in group_records.allocation_records] == ["稀土办", "中国稀土集团计划测试"]

    confirmed = rare_earth.call(mine, "CreatePlanConfirmation", quota_pb.CreatePlanConfirmationRequest(
        year=year, batch=1))
    assert confirmed.total_confirmed == "600.500" and not confirmed.has_mismatch
    stats = rare_earth.call(mine, "GetPlanConfirmationStatistics",
                            quota_pb.GetPlanConfirmationStatisticsRequest(year=year))
    assert (stats.total_allocated, stats.total_confirmed) == ("600.500", "600.500")
    assert stats.kinds[0].kind == quota_pb.QuotaPlan.MINING and stats.kinds[0].confirmed_batches == 1


def test_a_differing_confirmation_is_flagged_to_the_allocating_unit_and_can_be_modified_or_deleted(
        rare_earth, chain):
    group, mine, plan, year = chain["group"], chain["mine"], chain["plan"], chain["year"]
    allocation = rare_earth.call(group, "AllocateQuota", quota_pb.AllocateQuotaRequest(
        plan_id=plan.id, to_enterprise_id=mine.enterprise_id, quota="300"))
    with rare_earth.new_notices("rare_earth.plan_confirmation.mismatch") as flagged:
        confirmed = rare_earth.call(mine, "CreatePlanConfirmation", quota_pb.CreatePlanConfirmationRequest(
            year=year, batch=1, quotas=[quota_pb.QuotaCorrection(allocation_id=allocation.id, quota="280")]))
    assert confirmed.has_mismatch and confirmed.lines[0].confirmed_quota == "280.000"
    assert flagged[0]["recipients"][0]["organizationId"] == group.organization_id
    assert (flagged[0]["params"]["allocatedQuota"], flagged[0]["params"]["confirmedQuota"]) == ("300", "280")
    handed_on = rare_earth.call(group, "ListQuotaAllocations",
                                quota_pb.ListQuotaAllocationsRequest(year=year, **{"as": "allocated"}))
    assert handed_on.quota_allocations[0].confirmation_status == quota_pb.QuotaAllocation.MISMATCH

    twice = rare_earth.fails(mine, "CreatePlanConfirmation", quota_pb.CreatePlanConfirmationRequest(year=year, batch=1))
    assert twice.code == grpc.StatusCode.ALREADY_EXISTS

    modified = rare_earth.call(mine, "UpdatePlanConfirmation", quota_pb.UpdatePlanConfirmationRequest(
        id=confirmed.id, quotas=[quota_pb.QuotaCorrection(allocation_id=allocation.id, quota="300")]))
    assert not modified.has_mismatch
    # The allocating group may not touch the mine's confirmation: as absent to it as one that never was.
    for caller, confirmation_id in ((group, confirmed.id), (mine, "no-such-confirmation")):
        hidden = rare_earth.fails(caller, "DeletePlanConfirmation",
                                  quota_pb.DeletePlanConfirmationRequest(id=confirmation_id))
        assert hidden.code == grpc.StatusCode.NOT_FOUND and hidden.reason == "CONFIRMATION_NOT_FOUND"

    rare_earth.call(mine, "DeletePlanConfirmation", quota_pb.DeletePlanConfirmationRequest(id=confirmed.id))
    again = rare_earth.call(mine, "ListQuotaAllocations", quota_pb.ListQuotaAllocationsRequest(year=year))
    assert again.quota_allocations[0].confirmation_status == quota_pb.QuotaAllocation.UNCONFIRMED
    reconfirmed = rare_earth.call(mine, "CreatePlanConfirmation", quota_pb.CreatePlanConfirmationRequest(
        year=year, batch=1))
    assert reconfirmed.id != confirmed.id


def test_a_group_cannot_allocate_more_than_it_received(rare_earth, chain):
    group, mine, smelter, plan = chain["group"], chain["mine"], chain["smelter"], chain["plan"]
    rare_earth.call(group, "AllocateQuota", quota_pb.AllocateQuotaRequest(
        plan_id=plan.id, to_enterprise_id=mine.enterprise_id, quota="700"))
    refused = rare_earth.fails(group, "AllocateQuota", quota_pb.AllocateQuotaRequest(
        plan_id=plan.id, to_enterprise_id=smelter.enterprise_id, quota="300.001"))
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION
    assert refused.reason == "QUOTA_EXCEEDED" and "剩余300吨" in refused.message
    exact = rare_earth.call(group, "AllocateQuota", quota_pb.AllocateQuotaRequest(
        plan_id=plan.id, to_enterprise_id=smelter.enterprise_id, quota="300"))
    assert exact.quota == "300.000"


def test_concurrent_allocations_never_exceed_what_the_parent_received(rare_earth, chain):
    group, plan = chain["group"], chain["plan"]
    subsidiaries = [chain["mine"], chain["smelter"]]
    for index in range(4):
        child = rare_earth.approved(f"并发分配子公司{index}")
        rare_earth.affiliate(child, group)
        subsidiaries.append(child)

    def allocate(child):
        try:
            rare_earth.call(group, "AllocateQuota", quota_pb.AllocateQuotaRequest(
                plan_id=plan.id, to_enterprise_id=child.enterprise_id, quota="300"))
            return "ok"
        except grpc.RpcError as error:
            return error.code()

    requests = [child for child in subsidiaries for _ in range(2)]
    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        outcomes = list(pool.map(allocate, requests))
    assert outcomes.count("ok") == 3
    assert set(outcomes) <= {"ok", grpc.StatusCode.FAILED_PRECONDITION}
    held = rare_earth.call(group, "ListQuotaAllocations", quota_pb.ListQuotaAllocationsRequest(year=chain["year"]))
    assert held.quota_allocations[0].allocated_quota == "900.000"
    handed_on = rare_earth.call(group, "ListQuotaAllocations", quota_pb.ListQuotaAllocationsRequest(
        year=chain["year"], page_size=50, **{"as": "allocated"}))
    assert sum(Decimal(a.quota) for a in handed_on.quota_allocations) == 900


def test_allocation_goes_only_to_approved_subsidiaries_and_not_to_trade_enterprises(rare_earth, chain):
    group, plan = chain["group"], chain["plan"]
    stranger = rare_earth.approved("无隶属关系的开采企业")
    refused = rare_earth.fails(group, "AllocateQuota", quota_pb.AllocateQuotaRequest(
        plan_id=plan.id, to_enterprise_id=stranger.enterprise_id, quota="1"))
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION and refused.reason == "NOT_A_SUBSIDIARY"

    trader = rare_earth.approved("稀土外贸公司", "FOREIGN_TRADE")
    rare_earth.affiliate(trader, group)
    refused = rare_earth.fails(group, "AllocateQuota", quota_pb.AllocateQuotaRequest(
        plan_id=plan.id, to_enterprise_id=trader.enterprise_id, quota="1"))
    assert refused.reason == "TRADE_ENTERPRISE_NO_PLAN"

    mine = chain["mine"]
    refused = rare_earth.fails(mine, "AllocateQuota", quota_pb.AllocateQuotaRequest(
        plan_id=plan.id, to_enterprise_id=stranger.enterprise_id, quota="1"))
    assert refused.code == grpc.StatusCode.PERMISSION_DENIED


def test_a_trade_enterprise_cannot_confirm_a_plan(rare_earth):
    trader = rare_earth.approved("稀土内贸公司", "DOMESTIC_TRADE")
    refused = rare_earth.fails(trader, "CreatePlanConfirmation", quota_pb.CreatePlanConfirmationRequest(
        year=2026, batch=1))
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION
    assert refused.reason == "TRADE_ENTERPRISE_NO_PLAN" and "内贸企业" in refused.message
    stats = rare_earth.fails(trader, "GetPlanConfirmationStatistics",
                             quota_pb.GetPlanConfirmationStatisticsRequest(year=2026))
    assert stats.reason == "TRADE_ENTERPRISE_NO_PLAN"


def test_only_the_office_issues_plans_and_only_to_groups_and_first_level_companies(rare_earth):
    group = rare_earth.approved("只收计划的集团", "GROUP")
    mine = rare_earth.approved("不能直接收计划的矿")
    refused = rare_earth.fails(group, "CreateQuotaPlan", quota_pb.CreateQuotaPlanRequest(
        year=2031, batch=1, kind=quota_pb.QuotaPlan.MINING,
        allocations=[quota_pb.AllocationInput(enterprise_id=group.enterprise_id, quota="1")]))
    assert refused.code == grpc.StatusCode.PERMISSION_DENIED
    bad = rare_earth.fails(rare_earth.office(), "CreateQuotaPlan", quota_pb.CreateQuotaPlanRequest(
        year=1999, batch=0, allocations=[quota_pb.AllocationInput(enterprise_id=mine.enterprise_id, quota="-5"),
                                         quota_pb.AllocationInput(enterprise_id="nobody", quota="1.0001")]))
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(bad.fields) == {"year", "batch", "kind", "allocations[0].quota", "allocations[0].enterpriseId",
                               "allocations[1].quota", "allocations[1].enterpriseId"}


def test_an_enterprise_cannot_read_allocation_records_of_others(rare_earth, chain):
    outsider = rare_earth.approved("窥探指标的企业")
    group_allocation = chain["plan"].allocations[0]
    refused = rare_earth.fails(outsider, "ListAllocationRecords",
                               quota_pb.ListAllocationRecordsRequest(allocation_id=group_allocation.id))
    missing = rare_earth.fails(outsider, "ListAllocationRecords",
                               quota_pb.ListAllocationRecordsRequest(allocation_id="no-such-allocation"))
    assert refused.code == missing.code == grpc.StatusCode.NOT_FOUND
    assert (refused.reason, refused.message) == (missing.reason, missing.message)


def test_quotas_travel_as_decimal_strings_and_one_that_is_not_a_number_is_named(rare_earth, chain):
    group, mine, plan = chain["group"], chain["mine"], chain["plan"]
    for sent in ("abc", "1e3", "12,5"):
        refused = rare_earth.fails(group, "AllocateQuota", quota_pb.AllocateQuotaRequest(
            plan_id=plan.id, to_enterprise_id=mine.enterprise_id, quota=sent))
        assert refused.code == grpc.StatusCode.INVALID_ARGUMENT and set(refused.fields) == {"quota"}, sent
    missing = rare_earth.fails(group, "AllocateQuota", quota_pb.AllocateQuotaRequest(
        plan_id=plan.id, to_enterprise_id=mine.enterprise_id))
    assert missing.fields == {"quota": "请填写指标"}
    corrected = rare_earth.fails(mine, "CreatePlanConfirmation", quota_pb.CreatePlanConfirmationRequest(
        year=chain["year"], batch=1, quotas=[quota_pb.QuotaCorrection(allocation_id="x", quota="many")]))
    assert set(corrected.fields) == {"quotas[0].quota"}
