"""An account's opt-outs of SMS and e-mail, honoured for every non-mandatory notice."""

from __future__ import annotations

from services.chassis.auth import require_authenticated
from services.chassis.db import utcnow
from services.notify.context import NotifyContext
from services.notify.models import Preference


def get_preferences(context: NotifyContext) -> Preference:
    caller = require_authenticated()
    with context.unit_of_work(read_only=True) as uow:
        found = uow.session.get(Preference, caller.account_id)
    if found is None:
        return Preference(account_id=caller.account_id, sms_opt_out=False, email_opt_out=False, updated_at=None)
    return found


def update_preferences(context: NotifyContext, *, sms_opt_out: bool, email_opt_out: bool) -> Preference:
    caller = require_authenticated()
    with context.unit_of_work() as uow:
        found = uow.session.get(Preference, caller.account_id, with_for_update=True)
        if found is None:
            found = Preference(account_id=caller.account_id)
            uow.session.add(found)
        found.sms_opt_out = sms_opt_out
        found.email_opt_out = email_opt_out
        found.updated_at = utcnow()
        uow.commit()
    return found
