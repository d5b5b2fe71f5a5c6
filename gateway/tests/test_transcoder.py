"""The transcoder alone: templates, matching, and how a request message is filled."""

from __future__ import annotations

import pytest

from gateway.templates import TemplateSyntaxError, parse_template
from gateway.transcoder import FilePart, HttpRequest, RouteTable, TranscodingError
from protos.testing.v1 import echo_pb2

TABLE = RouteTable.from_modules([echo_pb2])


def build(method: str, path: str, query=(), body: bytes = b"", **kwargs):
    matched = TABLE.match(method, path)
    assert matched is not None, f"{method} {path} should match a route"
    route, variables = matched
    return route, route.build_request(HttpRequest(method, path, list(query), body, **kwargs), variables)


# -- templates ---------------------------------------------------------------------------------

def test_template_with_variable_pattern_and_verb_parses_into_segments():
    template = parse_template("/v1/{name=shelves/*/books/*}:publish")
    assert template.segments == ("v1", "shelves", "*", "books", "*")
    assert template.verb == "publish"
    assert [(v.field_path, v.start, v.end) for v in template.variables] == [("name", 1, 5)]


def test_template_variable_without_pattern_matches_one_segment():
    template = parse_template("/v1/things/{id}")
    assert template.match("/v1/things/42") == {"id": "42"}
    assert template.match("/v1/things/42/more") is None
    assert template.match("/v1/things/") is None


def test_double_wildcard_captures_the_rest_of_the_path():
    template = parse_template("/v1/files/{path=**}")
    assert template.match("/v1/files/a/b/c.txt") == {"path": "a/b/c.txt"}


@pytest.mark.parametrize("bad", ["v1/things", "/v1/{id", "/v1/**/x", "/v1/{a={b}}", "/v1/th ings:", "/v1//x"])
def test_malformed_templates_are_refused(bad):
    with pytest.raises(TemplateSyntaxError):
        parse_template(bad)


def test_single_segment_variable_is_fully_percent_decoded():
    assert parse_template("/v1/things/{id}").match("/v1/things/a%2Fb%20c") == {"id": "a/b c"}


def test_multi_segment_variable_keeps_an_encoded_slash_encoded():
    assert parse_template("/v1/{name=shelves/*/things/*}").match("/v1/shelves/s%201/things/t%2F2") == {
        "name": "shelves/s 1/things/t%2F2"}


def test_custom_verb_is_required_and_not_part_of_the_variable():
    template = parse_template("/v1/things/{id}:approve")
    assert template.match("/v1/things/a:b:approve") == {"id": "a:b"}
    assert template.match("/v1/things/7") is None


def test_more_specific_route_wins_over_a_variable_segment():
    route, _ = TABLE.match("GET", "/v1/echo/things/7/labels")
    assert route.method.name == "GetThingLabels"
    route, _ = TABLE.match("GET", "/v1/echo/things/7")
    assert route.method.name == "GetThing"


def test_additional_binding_routes_to_the_same_method_with_two_variables():
    route, request = build("GET", "/v1/echo/shelves/s1/things/t9")
    assert route.method.name == "GetThing"
    assert (request.shelf, request.id) == ("s1", "t9")


def test_methods_without_http_rule_get_no_route():
    assert all(route.method.name != "Ping" for route in TABLE.routes)


def test_a_path_with_an_action_verb_is_that_action_for_every_method():
    # {id} could take "7:approve" as one segment, but the action is the more specific template.
    assert TABLE.allowed_methods("/v1/echo/things/7:approve") == ["POST"]
    assert TABLE.match("GET", "/v1/echo/things/7:approve") is None
    route, variables = TABLE.match("POST", "/v1/echo/things/7:approve")
    assert (route.method.name, variables) == ("ApproveThing", {"id": "7"})
    # Where no action has that verb, the segment is the id.
    assert TABLE.match("GET", "/v1/echo/things/a:b")[1] == {"id": "a:b"}


def test_allowed_methods_lists_every_method_at_a_path():
    assert TABLE.allowed_methods("/v1/echo/things/7") == ["DELETE", "GET"]
    assert TABLE.match("PUT", "/v1/echo/things/7") is None


# -- body, query and path merging --------------------------------------------------------------

def test_body_field_fills_that_field_and_the_rest_comes_from_query_and_path():
    _, request = build("POST", "/v1/echo/shelves/s1/things", [("requestId", "r-1")],
                       b'{"title": "lamp", "count": "12", "color": "GREEN"}')
    assert request.parent == "shelves/s1"
    assert request.request_id == "r-1"
    assert (request.thing.title, request.thing.count, request.thing.color) == ("lamp", 12, echo_pb2.GREEN)


def test_path_variable_inside_the_body_message_wins_over_the_body():
    _, request = build("PATCH", "/v1/echo/shelves/s1/things/t2", [("updateMask", "title,color")],
                       b'{"name": "from-body", "title": "new"}')
    assert request.thing.name == "shelves/s1/things/t2"
    assert request.thing.title == "new"
    assert list(request.update_mask.paths) == ["title", "color"]


def test_star_body_takes_every_field_not_in_the_path():
    _, request = build("POST", "/v1/echo/things/t1:approve", body=b'{"comment": "ok", "version": "3"}')
    assert (request.id, request.comment, request.version) == ("t1", "ok", 3)


def test_star_body_leaves_no_query_parameters():
    with pytest.raises(TranscodingError) as error:
        build("POST", "/v1/echo/things/t1:approve", [("comment", "x")])
    assert error.value.violations[0][0] == "comment"


def test_body_accepts_proto_field_names_too():
    _, request = build("POST", "/v1/echo:echo", body=b'{"int64_value": "9007199254740993"}')
    assert request.int64_value == 9007199254740993


def test_query_parameters_fill_nested_repeated_enum_int64_timestamp_and_wrappers():
    _, request = build("GET", "/v1/echo/shelves/s1/things", [
        ("pageSize", "20"), ("page_token", "abc"), ("labels", "x"), ("labels", "y"), ("color", "BLUE"),
        ("filter.minCount", "9007199254740993"), ("filter.dueBefore", "2026-03-01T08:00:00+08:00"),
        ("filter.colors", "RED"), ("filter.colors", "2"), ("filter.approved", "false"),
        ("filter.size.width", "3"), ("showDeleted", "true"),
    ])
    assert request.page_size == 20 and request.page_token == "abc"
    assert list(request.labels) == ["x", "y"]
    assert request.color == echo_pb2.BLUE
    assert request.filter.min_count == 9007199254740993
    assert request.filter.due_before.ToJsonString() == "2026-03-01T00:00:00Z"
    assert list(request.filter.colors) == [echo_pb2.RED, echo_pb2.GREEN]
    assert request.filter.HasField("approved") and request.filter.approved.value is False
    assert request.filter.size.width == 3
    assert request.show_deleted is True


def test_unknown_query_parameters_are_refused_naming_each():
    with pytest.raises(TranscodingError) as error:
        build("GET", "/v1/echo/shelves/s1/things", [("pageSize", "1"), ("colour", "RED"), ("filter.nope", "1")])
    assert "colour" in error.value.message and "filter.nope" in error.value.message
    assert [field for field, _ in error.value.violations] == ["colour", "filter.nope"]


def test_query_parameter_bound_by_the_path_is_unknown():
    with pytest.raises(TranscodingError) as error:
        build("GET", "/v1/echo/shelves/s1/things", [("parent", "shelves/other")])
    assert error.value.violations[0][0] == "parent"


def test_message_valued_query_parameter_is_refused():
    with pytest.raises(TranscodingError) as error:
        build("GET", "/v1/echo/shelves/s1/things", [("filter", "x")])
    assert error.value.violations[0][0] == "filter"


@pytest.mark.parametrize(("name", "value"), [
    ("color", "PURPLE"), ("pageSize", "ten"), ("filter.dueBefore", "yesterday"), ("showDeleted", "maybe"),
    ("filter.minCount", "1.5"),
])
def test_bad_query_values_name_the_parameter(name, value):
    with pytest.raises(TranscodingError) as error:
        build("GET", "/v1/echo/shelves/s1/things", [(name, value)])
    assert [field for field, _ in error.value.violations] == [name]


def test_enum_error_lists_the_allowed_names():
    with pytest.raises(TranscodingError) as error:
        build("GET", "/v1/echo/shelves/s1/things", [("color", "PURPLE")])
    assert "RED" in error.value.violations[0][1] and "BLUE" in error.value.violations[0][1]


def test_invalid_json_body_is_refused():
    with pytest.raises(TranscodingError, match="JSON"):
        build("POST", "/v1/echo:echo", body=b"{not json")


def test_unknown_body_field_is_refused():
    with pytest.raises(TranscodingError, match="nope"):
        build("POST", "/v1/echo:echo", body=b'{"nope": 1}')


def test_body_on_a_route_without_body_is_refused():
    with pytest.raises(TranscodingError):
        build("GET", "/v1/echo/things/1", body=b'{"id": "2"}')


def test_empty_body_is_an_empty_message():
    _, request = build("POST", "/v1/echo:echo")
    assert request == echo_pb2.EchoMessage()


def test_path_variable_of_a_get_binding_fills_its_field():
    _, request = build("GET", "/v1/echo/echo/%E7%A8%80%E5%9C%9F", [("int32Value", "-5"), ("numbers", "1"),
                                                                    ("numbers", "2")])
    assert request.text == "稀土"
    assert request.int32_value == -5
    assert list(request.numbers) == [1, 2]


# -- multipart ---------------------------------------------------------------------------------

def test_multipart_file_parts_go_to_bytes_fields_and_form_fields_to_fields():
    _, request = build("POST", "/v1/echo/uploads", content_type="multipart/form-data; boundary=x",
                       form=[("fileName", "产品.pdf"), ("copies", "2")],
                       files=[("content", b"%PDF-1.7"), ("attachments", b"a"), ("attachments", b"b")])
    assert request.file_name == "产品.pdf"
    assert request.copies == 2
    assert request.content == b"%PDF-1.7"
    assert list(request.attachments) == [b"a", b"b"]


def test_multipart_file_part_for_a_non_bytes_field_is_refused():
    with pytest.raises(TranscodingError) as error:
        build("POST", "/v1/echo/uploads", content_type="multipart/form-data; boundary=x",
              files=[("fileName", b"x")])
    assert error.value.violations[0][0] == "fileName"


def test_a_file_part_fills_a_file_upload_field_with_its_own_filename_and_content_type():
    _, request = build("POST", "/v1/echo/documents", content_type="multipart/form-data; boundary=x",
                       form=[("note", "合同")],
                       files=[FilePart("file", b"%PDF-1.7", "采购合同.pdf", "application/pdf"),
                              FilePart("evidence", b"\x89PNG", "a.png", "image/png"),
                              FilePart("evidence", b"PK", "b.xlsx", "")])
    assert (request.file.file_name, request.file.content_type, request.file.content) == (
        "采购合同.pdf", "application/pdf", b"%PDF-1.7")
    assert [(e.file_name, e.content_type, e.content) for e in request.evidence] == [
        ("a.png", "image/png", b"\x89PNG"), ("b.xlsx", "", b"PK")]
    assert request.note == "合同"


def test_a_file_part_for_a_plain_bytes_field_still_gives_the_bytes_only():
    _, request = build("POST", "/v1/echo/uploads", content_type="multipart/form-data; boundary=x",
                       files=[FilePart("content", b"data", "ignored.pdf", "application/pdf")])
    assert request.content == b"data"
    assert request.file_name == ""


def test_a_file_upload_field_sent_as_a_plain_form_value_is_refused_naming_it():
    with pytest.raises(TranscodingError) as error:
        build("POST", "/v1/echo/documents", content_type="multipart/form-data; boundary=x", form=[("file", "x")])
    assert error.value.violations[0][0] == "file"
    assert "文件" in error.value.violations[0][1]


def test_multipart_unknown_form_field_is_refused():
    with pytest.raises(TranscodingError) as error:
        build("POST", "/v1/echo/uploads", content_type="multipart/form-data; boundary=x", form=[("title", "x")])
    assert error.value.violations[0][0] == "title"


# -- responses ---------------------------------------------------------------------------------

def test_response_json_has_every_field_lower_camel_case_with_int64_as_string_and_enum_names():
    route, _ = TABLE.match("GET", "/v1/echo/things/1")
    document = route.render_response(echo_pb2.Thing(id="1", count=5, color=echo_pb2.RED))
    assert document["count"] == "5"
    assert document["color"] == "RED"
    assert document["approved"] is False
    assert document["labels"] == []
    assert document["dueTime"] is None and document["size"] is None
    assert set(document) == {f.json_name for f in echo_pb2.Thing.DESCRIPTOR.fields}


def test_nested_messages_show_every_field_and_optional_scalars_show_null():
    route, _ = TABLE.match("POST", "/v1/echo:echo")
    document = route.render_response(echo_pb2.EchoMessage(size=echo_pb2.Dimensions(width=2)))
    assert document["size"] == {"width": 2, "height": 0}
    assert document["maybe"] is None
    assert document["time"] is None
    assert document["attributes"] == {}


def test_response_body_renders_only_that_field():
    route, _ = TABLE.match("GET", "/v1/echo/things/1/labels")
    assert route.render_response(echo_pb2.Thing(labels=["x"])) == ["x"]


def test_http_body_response_is_recognised():
    route, _ = TABLE.match("GET", "/v1/echo/files/a.txt")
    assert route.returns_http_body
    route, _ = TABLE.match("GET", "/v1/echo/things/1")
    assert not route.returns_http_body
