"""/openapi.json: derived from the same annotations and descriptors as the routes, and a valid OpenAPI 3.1 document."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from gateway.comments import proto_comments
from protos.generate import DESCRIPTOR_SET


@pytest.fixture(scope="module")
def document(echo_address):
    from gateway.app import create_app
    from gateway.tests.conftest import ECHO_MODULES, settings
    from services.chassis.grpc_client import ChannelFactory

    channels = ChannelFactory.static({"testing": echo_address, "identity": echo_address})
    response = create_app(settings(), ECHO_MODULES, channels).test_client().get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def schema(document, name):
    return document["components"]["schemas"][name]


def operation(document, path, verb="get"):
    return document["paths"][path][verb]


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)


def test_every_annotated_method_has_an_operation_and_grpc_only_methods_none(document):
    operations = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    assert {"testing_EchoService_GetThing", "testing_EchoService_GetThing_1", "testing_EchoService_ListThings",
            "testing_EchoService_CreateThing", "testing_EchoService_ApproveThing", "testing_EchoService_DownloadFile",
            "testing_EchoService_UploadFile"} <= operations
    assert not any("Ping" in op for op in operations)
    assert "identity_DirectoryService_ResolveRecipients" not in operations


def test_paths_name_their_variables_and_keep_custom_verbs(document):
    paths = document["paths"]
    assert set(paths["/v1/echo/things/{id}"]) == {"get", "delete"}
    approve = operation(document, "/v1/echo/things/{id}:approve", "post")
    assert [(p["name"], p["in"]) for p in approve["parameters"]] == [("id", "path")]
    update = operation(document, "/v1/echo/{thing.name}", "patch")
    name = next(p for p in update["parameters"] if p["in"] == "path")
    assert name["name"] == "thing.name" and name["required"] is True
    assert "shelves/*/things/*" in name["description"]


def test_query_parameters_are_the_unbound_leaf_fields(document):
    parameters = {p["name"]: p for p in operation(document, "/v1/echo/{parent}/things")["parameters"]}
    assert {"pageSize", "pageToken", "color", "labels", "filter.minCount", "filter.dueBefore", "filter.colors",
            "filter.approved", "filter.size.width", "showDeleted"} <= set(parameters)
    assert parameters["parent"]["in"] == "path"
    assert parameters["color"]["schema"]["enum"] == ["COLOR_UNSPECIFIED", "RED", "GREEN", "BLUE"]
    assert parameters["filter.minCount"]["schema"] == {"type": "string", "format": "int64",
                                                      "pattern": r"^-?[0-9]{1,19}$"}
    assert parameters["pageSize"]["schema"]["maximum"] == 2**31 - 1
    assert parameters["filter.dueBefore"]["schema"]["format"] == "date-time"
    assert parameters["labels"]["schema"]["type"] == "array"


def test_request_body_and_response_schemas_come_from_the_messages(document):
    create = operation(document, "/v1/echo/{parent}/things", "post")
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/tongban.testing.v1.Thing"}
    assert create["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("Thing")
    thing = schema(document, "tongban.testing.v1.Thing")
    assert thing["additionalProperties"] is False
    properties = thing["properties"]
    assert properties["count"]["type"] == "string" and properties["count"]["format"] == "int64"
    # Unset messages and timestamps are rendered as null, so their schemas allow it.
    assert properties["dueTime"]["type"] == ["string", "null"] and properties["dueTime"]["format"] == "date-time"
    assert properties["size"] == {"anyOf": [{"$ref": "#/components/schemas/tongban.testing.v1.Dimensions"},
                                            {"type": "null"}]}
    assert properties["title"] == {"type": "string"}


def test_a_star_body_leaves_out_the_fields_the_path_binds(document):
    approve = operation(document, "/v1/echo/things/{id}:approve", "post")
    body = approve["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert body == "tongban.testing.v1.ApproveThingRequest.Body"
    assert set(schema(document, body)["properties"]) == {"comment", "version"}


def test_comments_in_the_protos_become_summaries_and_descriptions(document):
    approve = operation(document, "/v1/echo/things/{id}:approve", "post")
    assert approve["summary"] == "An action with a custom verb and the whole request as the body."
    assert approve["description"] == approve["summary"]
    thing = schema(document, "tongban.testing.v1.Thing")
    assert thing["description"] == "A thing on a shelf."
    assert thing["properties"]["name"]["description"] == "Resource name: shelves/{shelf}/things/{id}."


def test_descriptions_are_read_from_the_descriptor_set_make_protos_writes(tmp_path):
    comments = proto_comments(DESCRIPTOR_SET)
    assert comments["tongban.testing.v1.Thing"] == "A thing on a shelf."
    # Without the file the document still builds, only without descriptions.
    assert proto_comments(tmp_path / "missing.binpb") == {}


def test_each_operation_shows_the_audience_its_method_declares(document):
    assert operation(document, "/v1/echo/things/{id}")["x-tongban-audience"] == "PUBLIC"
    assert operation(document, "/v1/echo/things/{id}", "delete")["x-tongban-audience"] == "STAFF"
    # Undeclared (only the test protos have such methods): no audience is shown, and a token is needed.
    undeclared = operation(document, "/v1/echo/things/{id}:approve", "post")
    assert "x-tongban-audience" not in undeclared and undeclared["security"] == [{"bearerAuth": []}]


def test_a_public_method_needs_no_token_and_every_other_a_bearer_token(document):
    assert operation(document, "/v1/echo/things/{id}")["security"] == []
    assert operation(document, "/v1/echo/shelves/{shelf}/things/{id}")["security"] == []
    assert operation(document, "/v1/echo/things/{id}", "delete")["security"] == [{"bearerAuth": []}]
    assert "security" not in document
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_every_operation_declares_the_errors_it_can_give_as_google_rpc_status(document):
    statuses = {"400", "401", "403", "404", "409", "429", "503", "504"}
    for path, item in document["paths"].items():
        for verb, op in item.items():
            declared = set(op["responses"])
            assert statuses <= declared, (verb, path)
            assert ("413" in declared) == ("requestBody" in op), (verb, path)
            assert "default" not in declared
    responses = document["components"]["responses"]
    for name in ("BadRequest", "Unauthenticated", "TooManyRequests", "Unavailable", "Timeout"):
        assert responses[name]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/google.rpc.Status"}
    assert "Retry-After" in responses["TooManyRequests"]["headers"]
    assert schema(document, "google.rpc.Status")["required"] == ["code", "message", "details"]


def test_a_create_may_answer_201_and_an_action_answers_200(document):
    assert set(operation(document, "/v1/echo/{parent}/things", "post")["responses"]) >= {"200", "201"}
    assert "201" not in operation(document, "/v1/echo/things/{id}:approve", "post")["responses"]
    assert "201" not in operation(document, "/v1/echo/things/{id}")["responses"]


def test_servers_name_the_address_the_document_was_asked_at(document):
    assert document["servers"] == [{"url": "http://localhost"}]


def test_servers_name_the_configured_public_address(echo_address):
    from gateway.app import create_app
    from gateway.tests.conftest import ECHO_MODULES, settings
    from services.chassis.grpc_client import ChannelFactory

    channels = ChannelFactory.static({"testing": echo_address, "identity": echo_address})
    client = create_app(settings(public_url="https://api.tongban.example.cn"), ECHO_MODULES, channels).test_client()
    assert client.get("/openapi.json").get_json()["servers"] == [{"url": "https://api.tongban.example.cn"}]


def test_upload_offers_multipart_with_file_parts_and_download_is_binary(document):
    upload = operation(document, "/v1/echo/uploads", "post")["requestBody"]["content"]
    form = upload["multipart/form-data"]["schema"]["properties"]
    assert form["content"]["contentMediaType"] == "application/octet-stream"
    assert form["attachments"]["type"] == "array"
    assert form["copies"]["type"] == "integer"
    download = operation(document, "/v1/echo/files/{path}")["responses"]["200"]["content"]
    assert "*/*" in download


def test_response_body_route_documents_only_that_field(document):
    labels = operation(document, "/v1/echo/things/{id}/labels")["responses"]["200"]
    assert labels["content"]["application/json"]["schema"] == {"type": "array", "items": {"type": "string"}}


def test_every_field_the_platform_renders_as_null_is_nullable_in_its_documented_schema():
    # lockedUntil, expiresAt, reviewedAt, closeTime...: an unset Timestamp is answered as null, so the
    # document must say so for every such field of every service, or a client validating it is refused.
    from gateway import openapi
    from gateway.rendering import message_to_json
    from gateway.transcoder import RouteTable
    from gateway.upstream import default_modules
    from protos.identity.v1 import resources_pb2

    table = RouteTable.from_modules(default_modules())
    schemas = openapi.build_document(table.routes)["components"]["schemas"]
    assert message_to_json(resources_pb2.Account(id="a"))["lockedUntil"] is None
    assert "null" in schemas["tongban.identity.v1.Account"]["properties"]["lockedUntil"]["type"]
    checked = 0
    for name, component in schemas.items():
        properties = component.get("properties", {})
        for f in _message_descriptor(name).fields if _message_descriptor(name) else ():
            if f.json_name in properties and f.has_presence and not f.is_repeated:
                allowed = properties[f.json_name]
                assert "null" in allowed.get("type", []) or {"type": "null"} in allowed.get("anyOf", []), \
                    f"{name}.{f.json_name}"
                checked += 1
    assert checked > 100


def _message_descriptor(name: str):
    from google.protobuf import descriptor_pool

    try:
        return descriptor_pool.Default().FindMessageTypeByName(name.removesuffix(".Body"))
    except KeyError:
        return None
