"""Contract fuzzing: schemathesis over every operation of /openapi.json, anonymously and with a token.

On the embedded profile only (the contract is the gateway's and the same on both). Bounded
so the whole run stays near two minutes: anonymously the fuzzing phase (a few random cases
per operation); with a fresh user's token the coverage phase (boundary and wrong-type
values for every parameter and body, and methods no route takes). It passes when no answer is a
5xx, every answer's status is declared, and every body, header and content type matches
the document. One worker: schemathesis' own threads have broken on Python 3.11's parser.
A fresh natural person's token, not a demo login's: what the fuzzer sends may change
what that account can reach, and other tests use the demo data.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from stdnum.cn import ric

from services.chassis.testing.stack import EMBEDDED

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
          "response_headers_conformance,unsupported_method,allow_header_conformance")
SEED = 14
# A run over every operation outlasted 300 s on a loaded two-core machine.
RUN_TIMEOUT = 480
# Each run is bounded by RUN_TIMEOUT; the test by that and the fresh user's registration.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(RUN_TIMEOUT + 60)]


def _fresh_token(stack) -> str:
    rng = random.Random()
    phone, password = f"16{rng.randrange(10**9):09d}", "Fuzz2026x"
    before = stack.code_count(phone)
    stack.request_code(phone, "REGISTER")
    birth = f"1101011990{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{rng.randrange(1000):03d}"
    login = f"fuzz{rng.randrange(10**8)}"
    registered = requests.post(f"{stack.url}/v1/identity/registrations/natural-person", timeout=30, json={
        "loginName": login, "password": password, "name": "契约测试", "idType": "RESIDENT_ID",
        "idNumber": birth + ric.calc_check_digit(birth + "0"), "phone": phone,
        "smsCode": stack.latest_code(phone, after=before)})
    assert registered.status_code == 201, registered.text
    return stack.login(login, password, phone)["accessToken"]


def _schemathesis(stack, tmp_path: Path, label: str, *options: str) -> None:
    report = tmp_path / f"{label}.xml"
    argv = [str(Path(sys.executable).with_name("schemathesis")), "run", f"{stack.url}/openapi.json",
            "--checks", CHECKS, "--workers", "1", "--seed", str(SEED), "--no-shrink", "--request-timeout", "20",
            "--report", "junit", "--report-junit-path", str(report), *options]
    # In the test's own folder: schemathesis keeps a cache beside where it runs.
    done = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=tmp_path)
    summary = done.stdout[-6000:]
    assert done.returncode == 0, f"schemathesis ({label}) found problems:\n{summary}\n{done.stderr[-2000:]}"
    assert "passed" in summary and "API Operations" in summary


def test_every_operation_answers_as_documented_to_an_anonymous_caller(stack, tmp_path):
    if stack.profile != EMBEDDED:
        pytest.skip("fuzzed on the embedded profile")
    _schemathesis(stack, tmp_path, "anonymous", "--phases", "fuzzing", "--max-examples", "3")


def test_every_operation_answers_as_documented_to_a_logged_in_caller(stack, tmp_path):
    if stack.profile != EMBEDDED:
        pytest.skip("fuzzed on the embedded profile")
    token = _fresh_token(stack)
    _schemathesis(stack, tmp_path, "token", "--phases", "coverage", "--header", f"Authorization: Bearer {token}")
