"""``python -m services.<name> <command> ...``: a service's own command gets its options as they were typed."""

from __future__ import annotations

import dataclasses

import pytest

from services.chassis.cli import main
from services.inspection.definition import DEFINITION


@pytest.fixture
def definition(monkeypatch, tmp_path):
    monkeypatch.setenv("INSPECTION_DATABASE_URL", f"sqlite:///{tmp_path / 'inspection.db'}")
    heard: list[list[str]] = []

    def record(_context, argv):
        heard.append(list(argv))
        return 7

    return dataclasses.replace(DEFINITION, commands={"record": ("records its options", record)}), heard


def test_a_service_command_receives_its_options_and_its_exit_code_is_the_process_code(definition):
    service, heard = definition
    assert main(service, ["record", "--login", "L", "--now", "extra"]) == 7
    assert heard == [["--login", "L", "--now", "extra"]]


def test_a_built_in_command_refuses_options_it_does_not_know(definition, capsys):
    service, _heard = definition
    with pytest.raises(SystemExit) as exited:
        main(service, ["migrate", "--bogus"])
    assert exited.value.code == 2
    assert "--bogus" in capsys.readouterr().err
