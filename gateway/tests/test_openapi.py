"""/openapi.json: derived from the same annotations and descriptors as the routes."""

from __future__ import annotations

import pytest


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


def test_every_annotated_method_has_an_operation_and_grpc_only_methods_none(document):
    operations = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    assert {"EchoService_GetThing", "EchoService_GetThing_1", "EchoService_ListThings", "EchoService_CreateThing",
            "EchoService_ApproveThing", "EchoService_DownloadFile", "EchoService_UploadFile"} <= operations
    assert not any("Ping" in op for op in operations)
    assert "IdentityService_ResolveRecipients" not in operations


def test_paths_name_their_variables_and_keep_custom_verbs(document):
    paths = document["paths"]
    assert set(paths["/v1/echo/things/{id}"]) == {"get", "delete"}
    assert "post" in paths["/v1/echo/things/{id}:approve"]
    update = paths["/v1/echo/{thing.name}"]["patch"]
    name = next(p for p in update["parameters"] if p["in"] == "path")
    assert name["name"] == "thing.name" and name["required"] is True
    assert "shelves/*/things/*" in name["description"]


def test_query_parameters_are_the_unbound_leaf_fields(document):
    parameters = {p["name"]: p for p in document["paths"]["/v1/echo/{parent}/things"]["get"]["parameters"]}
    assert {"pageSize", "pageToken", "color", "labels", "filter.minCount", "filter.dueBefore", "filter.colors",
            "filter.approved", "filter.size.width", "showDeleted"} <= set(parameters)
    assert parameters["parent"]["in"] == "path"
    assert parameters["color"]["schema"]["enum"] == ["COLOR_UNSPECIFIED", "RED", "GREEN", "BLUE"]
    assert parameters["filter.minCount"]["schema"] == {"type": "string", "format": "int64"}
    assert parameters["filter.dueBefore"]["schema"]["format"] == "date-time"
    assert parameters["labels"]["schema"]["type"] == "array"


def test_request_body_and_response_schemas_come_from_the_messages(document):
    create = document["paths"]["/v1/echo/{parent}/things"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/tongban.testing.v1.Thing"}
    assert create["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("Thing")
    assert create["responses"]["default"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "google.rpc.Status")
    thing = schema(document, "tongban.testing.v1.Thing")["properties"]
    assert thing["count"] == {"type": "string", "format": "int64"}
    assert thing["dueTime"]["format"] == "date-time"
    assert thing["size"] == {"$ref": "#/components/schemas/tongban.testing.v1.Dimensions"}


def test_comments_in_the_protos_become_descriptions(document):
    operation = document["paths"]["/v1/echo/things/{id}:approve"]["post"]
    assert operation["summary"] == "An action with a custom verb and the whole request as the body."
    thing = schema(document, "tongban.testing.v1.Thing")
    assert thing["description"] == "A thing on a shelf."
    assert thing["properties"]["name"]["description"] == "Resource name: shelves/{shelf}/things/{id}."


def test_upload_offers_multipart_with_file_parts_and_download_is_binary(document):
    upload = document["paths"]["/v1/echo/uploads"]["post"]["requestBody"]["content"]
    form = upload["multipart/form-data"]["schema"]["properties"]
    assert form["content"]["contentMediaType"] == "application/octet-stream"
    assert form["attachments"]["type"] == "array"
    assert form["copies"]["type"] == "integer"
    download = document["paths"]["/v1/echo/files/{path}"]["get"]["responses"]["200"]["content"]
    assert "*/*" in download


def test_response_body_route_documents_only_that_field(document):
    labels = document["paths"]["/v1/echo/things/{id}/labels"]["get"]["responses"]["200"]
    assert labels["content"]["application/json"]["schema"] == {"type": "array", "items": {"type": "string"}}
