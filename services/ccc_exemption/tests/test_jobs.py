"""The draft job: a draft is deleted ten days after it was first saved; anything submitted stays."""

from __future__ import annotations

from datetime import timedelta

import grpc
from sqlalchemy import update

from protos.ccc_exemption.v1 import applications_pb2 as pb
from services.ccc_exemption.jobs import delete_expired_drafts, jobs_command
from services.ccc_exemption.models import Application
from services.chassis.db import utcnow


def _age(ccc, application_id: str, days: int) -> None:
    with ccc.context.unit_of_work() as uow:
        uow.session.execute(update(Application).where(Application.id == application_id)
                            .values(created_at=utcnow() - timedelta(days=days)))
        uow.commit()


def test_a_draft_older_than_ten_days_is_deleted_and_a_younger_one_kept(ccc):
    enterprise = ccc.enterprise()
    old, young = ccc.draft(enterprise), ccc.draft(enterprise)
    ccc.add_product(enterprise, old.id)
    ccc.attach(enterprise, old.id)
    submitted = ccc.submitted(enterprise)
    _age(ccc, old.id, 11)
    _age(ccc, young.id, 9)
    _age(ccc, submitted.id, 30)
    assert delete_expired_drafts(ccc.context, utcnow()) >= 1
    assert ccc.fails(enterprise, "GetApplication", pb.GetApplicationRequest(id=old.id)).code == \
        grpc.StatusCode.NOT_FOUND
    for kept in (young, submitted):
        assert ccc.call(enterprise, "GetApplication", pb.GetApplicationRequest(id=kept.id)).id == kept.id
    assert delete_expired_drafts(ccc.context, utcnow()) == 0


def test_the_command_runs_as_of_a_pinned_day_in_test(ccc, capsys):
    enterprise = ccc.enterprise()
    draft = ccc.draft(enterprise)
    later = (utcnow() + timedelta(days=11)).date().isoformat()
    assert jobs_command(ccc.context, ["--today", later]) == 0
    assert '"deletedDrafts"' in capsys.readouterr().out
    assert ccc.fails(enterprise, "GetApplication", pb.GetApplicationRequest(id=draft.id)).code == \
        grpc.StatusCode.NOT_FOUND
