"""Scheduled work, idempotent (``python -m services.ccc_exemption jobs``): drafts (未提交) are deleted ten days
after they were first saved (manual §2.3), with their products and attachments."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select

from services.ccc_exemption.config import CccContext
from services.ccc_exemption.domain.reference import DRAFT_DAYS
from services.ccc_exemption.domain.states import DRAFT
from services.ccc_exemption.handlers.applications import remove_drafts
from services.ccc_exemption.handlers.records import CHINA
from services.ccc_exemption.models import Application
from services.chassis.db import single_run, utcnow

BATCH = 200


def delete_expired_drafts(context: CccContext, now: datetime) -> int:
    """Each batch one unit of work; a draft submitted meanwhile is locked out of the batch and kept."""
    cutoff = now - timedelta(days=DRAFT_DAYS)
    deleted = 0
    while True:
        with context.unit_of_work() as uow:
            session = uow.session
            ids = list(session.scalars(select(Application.id).where(
                Application.status == DRAFT, Application.created_at < cutoff).limit(BATCH).with_for_update()))
            if not ids:
                return deleted
            deleted += remove_drafts(session, context, ids)
            uow.commit()


def jobs_command(context: CccContext, argv: Sequence[str]) -> int:
    """``jobs [--today yyyy-mm-dd]``: ``--today`` (dev and test only) runs as if on that day, at this time."""
    parser = argparse.ArgumentParser(prog="jobs", description="delete drafts ten days after they were first saved")
    parser.add_argument("--today", default=None, help="yyyy-mm-dd, honoured in dev and test only")
    args = parser.parse_args([a for a in argv if a != "--"])
    now = utcnow()
    if args.today and context.settings.environment in ("dev", "test"):
        local = now.astimezone(CHINA)
        now = datetime.combine(date.fromisoformat(args.today), local.timetz())
    with single_run(context.engine, "ccc_exemption.jobs") as mine:
        if not mine:
            print(json.dumps({"skipped": "another run of the ccc_exemption jobs is in progress"}))
            return 0
        deleted = delete_expired_drafts(context, now)
    print(json.dumps({"deletedDrafts": deleted, "asOf": now.isoformat()}))
    return 0
