"""The input policy at the gateway: JSON no request message can hold is a 400 naming the field, never a 500,
and no refusal repeats a huge value or outgrows what a response may carry."""

from __future__ import annotations

import json

import pytest

from gateway.tests.test_app import bad_request_fields
from gateway.transcoder import HttpRequest, RouteTable, TranscodingError
from protos.testing.v1 import echo_pb2
from services.chassis.request_text import MAX_ITEMS, MAX_TEXT

TABLE = RouteTable.from_modules([echo_pb2])


def post_echo(client, body: bytes):
    return client.post("/v1/echo:echo", data=body, content_type="application/json")


def violations(response) -> list[dict]:
    for detail in response.get_json()["details"]:
        if detail["@type"].endswith("google.rpc.BadRequest"):
            return detail["fieldViolations"]
    return []


@pytest.mark.parametrize("depth", [950, 1000, 20000])
def test_json_nested_deeper_than_the_bound_is_a_400_naming_where_it_starts(client, depth):
    response = post_echo(client, b'{"text": ' + b"[" * depth + b"]" * depth + b"}")
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert bad_request_fields(response.get_json()) == ["text"]


@pytest.mark.parametrize("given", [b"true", b"false", b"123", b"2.5", b'"\\ud800"', b'"PINK"', b'"RED\\u0000"'])
def test_an_enum_takes_only_its_names_and_declared_numbers(client, given):
    response = post_echo(client, b'{"color": ' + given + b"}")
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert bad_request_fields(response.get_json()) == ["color"]


def test_an_enum_by_name_or_declared_number_is_taken(client):
    assert post_echo(client, b'{"color": "BLUE", "colors": [1, "GREEN"]}').get_json()["colors"] == ["RED", "GREEN"]
    assert post_echo(client, b'{"color": 2}').get_json()["color"] == "GREEN"


def test_an_enum_in_the_query_string_takes_only_declared_numbers():
    route, variables = TABLE.match("GET", "/v1/echo/shelves/s/things")
    with pytest.raises(TranscodingError) as refused:
        route.build_request(HttpRequest("GET", "/v1/echo/shelves/s/things", [("color", "123")]), variables)
    assert [field for field, _ in refused.value.violations] == ["color"]


def test_lone_surrogates_and_control_characters_in_strings_name_their_path(client):
    response = post_echo(client, b'{"text": "a\\ud800b", "attributes": {"k": "x\\u0000"}, "maybe": "\\udfff"}')
    assert response.status_code == 400
    assert sorted(bad_request_fields(response.get_json())) == ["attributes.k", "maybe", "text"]
    unknown = post_echo(client, b'{"\\ud800": 1}')
    assert unknown.status_code == 400 and bad_request_fields(unknown.get_json())


def test_overlong_text_is_refused_naming_the_field_without_echoing_it(client):
    response = post_echo(client, json.dumps({"text": "x" * 100_000}).encode())
    assert response.status_code == 400
    assert bad_request_fields(response.get_json()) == ["text"]
    assert str(MAX_TEXT) in violations(response)[0]["description"]
    assert len(response.get_data()) < 2000 and b"xxxxxxxx" not in response.get_data()
    assert post_echo(client, json.dumps({"text": "x" * MAX_TEXT}).encode()).status_code == 200


def test_a_parse_error_names_its_field_and_repeats_no_huge_value(client):
    response = post_echo(client, json.dumps({"size": {"width": "9" * 50 + "x" * 100_000}}).encode())
    assert response.status_code == 400
    assert bad_request_fields(response.get_json()) == ["size.width"]
    assert len(response.get_data()) < 2000
    wrong = post_echo(client, b'{"int32Value": "abc"}')
    assert wrong.status_code == 400 and bad_request_fields(wrong.get_json()) == ["int32Value"]
    unknown = post_echo(client, b'{"size": {"depth": 3}}')
    assert unknown.status_code == 400 and bad_request_fields(unknown.get_json()) == ["size.depth"]


def test_hundreds_of_bad_items_answer_the_first_ones_and_count_the_rest(client):
    response = post_echo(client, json.dumps({"colors": [True] * 200}).encode())
    assert response.status_code == 400
    found = violations(response)
    assert found[0]["field"] == "colors[0]" and len(found) <= 41
    assert f"{200 - len(found) + 1}处" in found[-1]["description"]
    assert len(response.get_data()) < 12_000


def test_a_service_refusing_hundreds_of_fields_is_still_a_400(client):
    fields = [f"quotas[{i}].quota" for i in range(600)]
    response = client.post("/v1/echo:fail", json={"code": "INVALID_ARGUMENT", "fields": fields})
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert bad_request_fields(response.get_json())[0] == "quotas[0].quota"


def test_more_items_than_a_list_takes_is_refused_naming_the_list(client):
    response = post_echo(client, json.dumps({"numbers": ["1"] * (MAX_ITEMS + 1)}).encode())
    assert response.status_code == 400 and bad_request_fields(response.get_json()) == ["numbers"]


@pytest.mark.parametrize("path", ["/v1/echo/things/a%00b", "/v1/echo/things/" + "x" * (MAX_TEXT + 1)])
def test_a_path_variable_is_held_to_the_same_rules(client, path):
    response = client.get(path)
    assert response.status_code == 400 and bad_request_fields(response.get_json()) == ["id"]
