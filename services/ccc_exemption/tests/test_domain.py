"""Rules that need no server: the state machines, the notices' params, the chassis binding of each status."""

from __future__ import annotations

import pytest

from services.ccc_exemption import events
from services.ccc_exemption.domain.states import APPLICATION, APPLICATION_LABELS, MODIFICATION
from services.ccc_exemption.handlers.review import OUTCOMES, add_months
from services.ccc_exemption.models import Application, Modification
from services.chassis.errors import FailedPrecondition
from services.chassis.states import machines_of


def test_an_application_has_the_ten_states_of_the_manual():
    assert len(APPLICATION.states) == 10
    assert set(APPLICATION_LABELS.values()) >= {"未提交", "受理中", "返回修改", "文件对比中_送纸质材料", "已发证",
                                                "强制终止流程"}
    assert machines_of(Application) == {"status": APPLICATION}
    assert machines_of(Modification) == {"status": MODIFICATION}


def test_a_decided_application_moves_no_further():
    for final in ("REJECTED", "ISSUED", "TERMINATED", "COMPARISON_FAILED"):
        with pytest.raises(FailedPrecondition):
            APPLICATION.check(final, "ACCEPTING")


def test_every_outcome_moves_where_the_machine_allows_from_where_its_step_is_taken():
    for (step, _decision), outcome in OUTCOMES.items():
        source = "PAPER_COMPARISON" if step == "COMPARISON" else "ACCEPTING"
        assert APPLICATION.can(source, outcome.status), (step, outcome.status)
        assert outcome.template in events.TEMPLATES


def test_a_notice_with_the_wrong_params_is_refused_before_it_is_sent():
    with pytest.raises(ValueError):
        events.to_enterprise("ccc_exemption.application.accepted", "org", {"applicationNumber": "SQ1"})


def test_six_months_of_validity_end_on_the_day_before():
    from datetime import date

    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 3, 20), 6) == date(2026, 9, 20)
