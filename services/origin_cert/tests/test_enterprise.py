"""The filing with a branch and branch migration (§1.2.2), which the manual reserves for the ADMIN; reference data."""

from __future__ import annotations

import grpc

from protos.origin_cert.v1 import enterprise_pb2, reference_pb2


def test_an_admin_files_with_a_branch_and_the_exporter_box_comes_from_identity(origin):
    admin = origin.organization("filing", filed_with=None)
    missing = origin.fails(admin, "GetEnterprise", enterprise_pb2.GetEnterpriseRequest())
    assert missing.code == grpc.StatusCode.NOT_FOUND
    bad = origin.fails(admin, "SaveEnterprise", enterprise_pb2.SaveEnterpriseRequest(
        branch="NOWHERE", name_en="中文名", address_en="", enterprise_type="SHOP"))
    assert set(bad.fields) == {"nameEn", "addressEn", "enterpriseType"}
    filed = origin.call(admin, "SaveEnterprise", enterprise_pb2.SaveEnterpriseRequest(
        branch="SHANGHAI", name_en="FILING TRADING CO., LTD.", address_en="88 ZHANGJIANG ROAD, SHANGHAI",
        enterprise_type="TRADER"))
    assert (filed.branch, filed.branch_name) == ("SHANGHAI", "中国国际贸易促进委员会上海市分会")
    assert filed.name == "filing进出口有限公司" and filed.uscc
    moved = origin.fails(admin, "SaveEnterprise", enterprise_pb2.SaveEnterpriseRequest(
        branch="BEIJING", name_en="X", address_en="Y", enterprise_type="TRADER"))
    assert moved.reason == "USE_BRANCH_MIGRATION"


def test_a_signer_may_not_do_the_admins_enterprise_information_tasks(origin):
    admin = origin.organization("signer-refused")
    signer = admin.member("SIGNER")
    filing = origin.fails(signer, "SaveEnterprise", enterprise_pb2.SaveEnterpriseRequest(
        name_en="A", address_en="B", enterprise_type="TRADER"))
    assert filing.code == grpc.StatusCode.PERMISSION_DENIED and filing.reason == "ADMIN_REQUIRED"
    migration = origin.fails(signer, "CreateBranchMigration", enterprise_pb2.CreateBranchMigrationRequest(
        to_branch="SHANGHAI", reason="搬迁"))
    assert migration.code == grpc.StatusCode.PERMISSION_DENIED and "管理员" in migration.message
    assert origin.call(signer, "GetEnterprise", enterprise_pb2.GetEnterpriseRequest()).branch == "BEIJING"


def test_the_receiving_branch_approves_a_migration_and_the_enterprise_moves(origin):
    admin = origin.organization("mover")
    shanghai, beijing = origin.officer("SHANGHAI"), origin.officer("BEIJING")
    with origin.new_notices("origin_cert.branch_migration.requested") as asked:
        migration = origin.call(admin, "CreateBranchMigration", enterprise_pb2.CreateBranchMigrationRequest(
            to_branch="SHANGHAI", reason="公司注册地迁至上海"))
    assert migration.status == "PENDING" and migration.from_branch == "BEIJING"
    assert asked[0]["recipients"] == [{"agency": "CCPIT:SHANGHAI"}]
    again = origin.fails(admin, "CreateBranchMigration", enterprise_pb2.CreateBranchMigrationRequest(
        to_branch="JIANGSU", reason="再迁"))
    assert again.reason == "MIGRATION_PENDING"
    not_theirs = origin.fails(beijing, "ApproveBranchMigration",
                              enterprise_pb2.DecideBranchMigrationRequest(id=migration.id))
    assert not_theirs.code == grpc.StatusCode.NOT_FOUND
    listed = origin.call(shanghai, "ListBranchMigrations", enterprise_pb2.ListBranchMigrationsRequest(status="PENDING"))
    assert migration.id in [m.id for m in listed.branch_migrations]
    with origin.new_notices("origin_cert.branch_migration.approved") as told:
        approved = origin.call(shanghai, "ApproveBranchMigration",
                               enterprise_pb2.DecideBranchMigrationRequest(id=migration.id))
    assert approved.status == "APPROVED" and approved.to_branch_name.endswith("上海市分会")
    assert told[0]["recipients"] == [{"organizationId": admin.organization_id, "scope": "origin_cert"}]
    assert set(told[0]["channels"]) == {"IN_SITE", "SMS", "EMAIL"}
    assert origin.call(admin, "GetEnterprise", enterprise_pb2.GetEnterpriseRequest()).branch == "SHANGHAI"
    twice = origin.fails(shanghai, "RejectBranchMigration", enterprise_pb2.DecideBranchMigrationRequest(
        id=migration.id, note="x"))
    assert twice.code == grpc.StatusCode.FAILED_PRECONDITION


def test_a_rejected_migration_names_its_reason_and_is_hidden_from_others(origin):
    admin, other = origin.organization("stayer"), origin.organization("stranger")
    migration = origin.call(admin, "CreateBranchMigration", enterprise_pb2.CreateBranchMigrationRequest(
        to_branch="ZHEJIANG", reason="业务调整"))
    zhejiang = origin.officer("ZHEJIANG")
    no_reason = origin.fails(zhejiang, "RejectBranchMigration",
                             enterprise_pb2.DecideBranchMigrationRequest(id=migration.id))
    assert "note" in no_reason.fields
    rejected = origin.call(zhejiang, "RejectBranchMigration", enterprise_pb2.DecideBranchMigrationRequest(
        id=migration.id, note="材料不全"))
    assert rejected.status == "REJECTED" and rejected.decision_note == "材料不全"
    hidden = origin.fails(other, "GetBranchMigration", enterprise_pb2.GetBranchMigrationRequest(id=migration.id))
    assert hidden.code == grpc.StatusCode.NOT_FOUND
    own = origin.call(admin, "ListBranchMigrations", enterprise_pb2.ListBranchMigrationsRequest())
    assert [m.status for m in own.branch_migrations] == ["REJECTED"] and own.total_size == 1


def test_reference_data_lists_the_certificate_types_and_the_head_office_extends_them(origin):
    admin = origin.organization("reader")
    types = origin.call(admin, "ListAgreements", reference_pb2.ListAgreementsRequest(page_size=100))
    codes = [a.code for a in types.agreements]
    assert codes[:3] == ["GENERAL", "RCEP", "ASEAN"] and {"ECFA", "MALDIVES", "SWITZERLAND"} <= set(codes)
    rcep = next(a for a in types.agreements if a.code == "RCEP")
    assert {"JP", "KR", "AU", "VN"} <= set(rcep.member_countries) and rcep.rvc_threshold == "40"
    assert [c.code for c in rcep.criteria] == ["WO", "PE", "CTC", "RVC"]
    request = reference_pb2.SaveAgreementRequest(
        code="TESTLAND", name="中国—测试国自由贸易协定", name_en="CHINA-TESTLAND FTA", preferential=True,
        number_prefix="TL", member_countries=["KE"], criteria=["WO", "RVC"], rvc_threshold="35")
    branch_staff = origin.fails(origin.officer("BEIJING"), "SaveAgreement", request)
    assert branch_staff.code == grpc.StatusCode.PERMISSION_DENIED
    saved = origin.call(origin.officer("HQ"), "SaveAgreement", request)
    assert list(saved.member_countries) == ["KE"] and saved.rvc_threshold == "35"
    bad = origin.fails(origin.officer("HQ"), "SaveAgreement", reference_pb2.SaveAgreementRequest(
        code="bad code", number_prefix="R", member_countries=["CN"], criteria=["XX"], rvc_threshold="140"))
    assert {"code", "name", "nameEn", "numberPrefix", "memberCountries", "criteria", "rvcThreshold"} <= set(bad.fields)
    branches = origin.call(None, "ListBranches", reference_pb2.ListBranchesRequest(page_size=5))
    assert branches.total_size >= 10 and len(branches.branches) == 5 and branches.next_page_token
