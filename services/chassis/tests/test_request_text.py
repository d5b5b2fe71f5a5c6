"""Control characters in any string of a request are refused with their JSON paths, before the servicer runs."""

from __future__ import annotations

import pytest

from protos.common.v1 import common_pb2
from protos.identity.v1 import directory_pb2, directory_pb2_grpc
from services.chassis.errors import InvalidArgument
from services.chassis.request_text import checked_requests, control_character_violations


def test_nested_repeated_and_plain_strings_are_named_by_their_json_paths():
    request = directory_pb2.ResolveRecipientsRequest(queries=[
        directory_pb2.RecipientQuery(account_id="ok"), directory_pb2.RecipientQuery(organization_id="o\x00rg")])
    assert [v.field for v in control_character_violations(request)] == ["queries[1].organizationId"]


def test_line_breaks_and_tabs_are_left_to_each_fields_own_rule_and_bytes_are_not_text():
    upload = common_pb2.FileUpload(file_name="a\tb\nc.pdf", content=b"\x00\x01binary")
    assert control_character_violations(upload) == []
    assert [v.field for v in control_character_violations(common_pb2.FileUpload(file_name="x\x7f"))] == ["fileName"]


def test_a_checked_servicer_refuses_before_its_method_runs():
    ran = []

    @checked_requests
    class Directory(directory_pb2_grpc.DirectoryServiceServicer):
        def CheckScope(self, request, context):
            ran.append(request)
            return directory_pb2.CheckScopeResponse(allowed=True)

    servicer = Directory()
    assert servicer.CheckScope(directory_pb2.CheckScopeRequest(scope="inspection"), None).allowed
    with pytest.raises(InvalidArgument) as refused:
        servicer.CheckScope(directory_pb2.CheckScopeRequest(scope="insp\x00ection"), None)
    assert [v.field for v in refused.value.violations] == ["scope"]
    assert len(ran) == 1
