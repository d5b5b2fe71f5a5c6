"""The gateway app in front of a real echo gRPC server, through Flask's test client."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from urllib.parse import unquote

from gateway.app import create_app
from gateway.config import GatewaySettings
from gateway.tests.conftest import dead_address
from gateway.tests.echo_server import DOWNLOAD_NAME, DOWNLOAD_TYPE, FakeIdentity, start_echo_server
from protos.testing.v1 import echo_pb2
from services.chassis.tests.consul_stand_in import StandInAgent, instance

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def bad_request_fields(body: dict) -> list[str]:
    for detail in body["details"]:
        if detail["@type"].endswith("google.rpc.BadRequest"):
            return [v["field"] for v in detail["fieldViolations"]]
    return []


def error_reason(body: dict) -> str | None:
    for detail in body["details"]:
        if detail["@type"].endswith("google.rpc.ErrorInfo"):
            return detail["reason"]
    return None


# -- success paths -----------------------------------------------------------------------------

def test_get_answers_the_resource_as_proto3_json(client):
    response = client.get("/v1/echo/things/7")
    assert response.status_code == 200
    assert response.content_type.startswith("application/json")
    body = response.get_json()
    assert body["id"] == "7" and body["count"] == "0" and body["color"] == "COLOR_UNSPECIFIED"


def test_create_answers_the_status_the_service_chose_without_leaking_the_header(client):
    response = client.post("/v1/echo/shelves/s1/things?requestId=idem-1", json={"title": "灯", "count": "3"})
    assert response.status_code == 201
    assert "x-http-code" not in {k.lower() for k, _ in response.headers.items()}
    assert not any(k.lower().startswith("grpc-metadata-x-http-code") for k, _ in response.headers.items())
    body = response.get_json()
    assert (body["shelf"], body["title"], body["count"], body["comment"]) == ("shelves/s1", "灯", "3", "idem-1")


def test_action_with_custom_verb_answers_the_resource_after_it(client):
    response = client.post("/v1/echo/things/t1:approve", json={"comment": "同意", "version": "4"})
    assert response.status_code == 200
    assert response.get_json()["approved"] is True
    assert response.get_json()["count"] == "4"


def test_response_body_route_answers_only_that_field(client):
    assert client.get("/v1/echo/things/1/labels").get_json() == ["a", "b"]


def test_download_is_raw_bytes_with_content_type_and_utf8_file_name(client):
    response = client.get("/v1/echo/files/reports/2026/catalogue.xlsx")
    assert response.status_code == 200
    assert response.data == b"file:reports/2026/catalogue.xlsx"
    assert response.content_type == DOWNLOAD_TYPE
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    encoded = re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1)
    assert unquote(encoded) == DOWNLOAD_NAME


def test_multipart_upload_reaches_the_bytes_field(client):
    content = "稀土".encode() * 1000
    response = client.post("/v1/echo/uploads", content_type="multipart/form-data", data={
        "fileName": "目录.pdf", "description": "产品目录", "copies": "3",
        "content": (io.BytesIO(content), "目录.pdf"),
    })
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert (body["fileName"], body["size"], body["copies"]) == ("目录.pdf", str(len(content)), 3)


def test_multipart_file_parts_bring_their_own_filename_and_content_type_to_the_service(client):
    response = client.post("/v1/echo/documents", content_type="multipart/form-data", data={
        "note": "提单",
        "file": (io.BytesIO(b"%PDF-1.7 bill"), "提单 COSU6371845210.pdf", "application/pdf"),
        "evidence": [(io.BytesIO(b"\x89PNG one"), "照片1.png", "image/png"),
                     (io.BytesIO(b"two"), "清单.xlsx", "application/vnd.ms-excel")],
    })
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["file"]["fileName"], body["file"]["contentType"]) == ("提单 COSU6371845210.pdf", "application/pdf")
    assert base64.b64decode(body["file"]["content"]) == b"%PDF-1.7 bill"
    assert [(e["fileName"], e["contentType"]) for e in body["evidence"]] == [
        ("照片1.png", "image/png"), ("清单.xlsx", "application/vnd.ms-excel")]


def test_the_openapi_document_shows_a_file_upload_field_as_a_file_part(client):
    document = client.get("/openapi.json").get_json()
    form = document["paths"]["/v1/echo/documents"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert form["schema"]["properties"]["file"]["contentMediaType"] == "application/octet-stream"
    assert form["schema"]["properties"]["evidence"]["type"] == "array"


# -- headers to metadata -----------------------------------------------------------------------

def test_headers_reach_the_service_the_grpc_gateway_way(client):
    response = client.get("/v1/echo/inspect", headers={
        "X-Request-Id": "req-123", "traceparent": TRACEPARENT, "Grpc-Metadata-Tenant": "t-9",
        "X-Forwarded-For": "203.0.113.7", "User-Agent": "portal/1.0",
    }, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == "req-123"
    assert response.headers["Grpc-Metadata-X-Served-By"] == "echo"
    body = response.get_json()
    metadata = body["metadata"]
    assert metadata["x-request-id"] == "req-123"
    assert metadata["traceparent"].split("-")[1] == "0af7651916cd43dd8448eb211c80319c"
    assert metadata["tenant"] == "t-9"
    assert metadata["x-forwarded-for"] == "203.0.113.7, 10.1.2.3"
    assert metadata["grpcgateway-user-agent"] == "portal/1.0"
    assert body["callerClientIp"] == "203.0.113.7"
    assert body["callerUserAgent"] == "portal/1.0"


def test_request_id_is_generated_when_absent_and_sent_to_the_service(client):
    response = client.get("/v1/echo/inspect")
    request_id = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert response.get_json()["metadata"]["x-request-id"] == request_id


def test_client_grpc_timeout_is_capped_by_the_gateway_deadline(make_client):
    # Deadlines travel as durations and are re-based on each side, so allow a little slack.
    client = make_client(deadline_seconds=4.0)
    remaining = client.get("/v1/echo/inspect", headers={"Grpc-Timeout": "100S"}).get_json()["deadlineSeconds"]
    assert 0 < remaining <= 4.1
    remaining = client.get("/v1/echo/inspect", headers={"Grpc-Timeout": "500m"}).get_json()["deadlineSeconds"]
    assert 0 < remaining <= 0.6


def test_malformed_grpc_timeout_is_refused(client):
    response = client.get("/v1/echo/inspect", headers={"Grpc-Timeout": "soon"})
    assert response.status_code == 400
    assert bad_request_fields(response.get_json()) == ["Grpc-Timeout"]


def test_client_cannot_smuggle_reserved_metadata(client):
    response = client.get("/v1/echo/inspect", headers={"Grpc-Metadata-Grpc-Timeout": "1S"})
    assert response.status_code == 400


# -- authentication ----------------------------------------------------------------------------

def test_valid_token_is_verified_and_forwarded_to_the_service(client, keys):
    token = keys.current.mint("acct-1", org="org-1", scopes=("rare_earth",))
    response = client.get("/v1/echo/inspect", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["callerAccountId"] == "acct-1"
    assert body["metadata"]["authorization"] == f"Bearer {token}"


def test_expired_token_is_refused_with_401(client, keys):
    token = keys.current.mint("acct-1", ttl_seconds=-60)
    response = client.get("/v1/echo/inspect", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    body = response.get_json()
    assert body["code"] == 16
    assert error_reason(body) == "TOKEN_EXPIRED"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_garbage_token_and_wrong_scheme_are_refused(client):
    assert client.get("/v1/echo/inspect", headers={"Authorization": "Bearer not.a.jwt"}).status_code == 401
    assert client.get("/v1/echo/inspect", headers={"Authorization": "Basic dTpw"}).status_code == 401


def test_token_signed_with_a_rotated_in_key_is_accepted_after_refetch(make_client, keys):
    client = make_client(jwks_refetch_seconds=0.0)
    old = keys.current.mint("acct-old")
    assert client.get("/v1/echo/inspect", headers={"Authorization": f"Bearer {old}"}).status_code == 200
    rotated = keys.rotate("key-rotated")
    token = rotated.mint("acct-new")
    response = client.get("/v1/echo/inspect", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json()["callerAccountId"] == "acct-new"


def test_unknown_kid_refetches_jwks_at_most_once_per_interval(make_client, keys, identity):
    from services.chassis.testing import TokenMinter

    client = make_client(jwks_refetch_seconds=300.0)
    good = keys.current.mint("acct-1")
    assert client.get("/v1/echo/inspect", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    fetches = identity.fetches
    stranger = TokenMinter(kid="never-published").mint("intruder")
    for _ in range(3):
        response = client.get("/v1/echo/inspect", headers={"Authorization": f"Bearer {stranger}"})
        assert response.status_code == 401
    assert identity.fetches == fetches


# -- errors ------------------------------------------------------------------------------------

def test_field_violations_from_the_service_reach_the_client(client):
    response = client.post("/v1/echo:fail", json={"code": "INVALID_ARGUMENT", "message": "请检查",
                                                   "fields": ["uscc", "legalRep.idNumber"]})
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == 3 and body["message"] == "请检查"
    assert bad_request_fields(body) == ["uscc", "legalRep.idNumber"]
    violation = body["details"][0]["fieldViolations"][0]
    assert violation["description"] == "uscc 填写有误"


def test_grpc_codes_map_to_http_statuses(client):
    expected = {"NOT_FOUND": 404, "ALREADY_EXISTS": 409, "FAILED_PRECONDITION": 400, "PERMISSION_DENIED": 403,
                "UNAUTHENTICATED": 401, "UNAVAILABLE": 503, "UNKNOWN_THING": 500}
    for code, status in expected.items():
        response = client.post("/v1/echo:fail", json={"code": code})
        assert response.status_code == status, code
        assert set(response.get_json()) == {"code", "message", "details"}


def test_service_error_info_reason_is_kept(client):
    response = client.get("/v1/echo/things/missing")
    assert response.status_code == 404
    assert error_reason(response.get_json()) == "THING_NOT_FOUND"


def test_service_resource_exhausted_gives_429_with_retry_after(client):
    response = client.post("/v1/echo:fail", json={"code": "RESOURCE_EXHAUSTED"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


def test_unknown_route_is_404_and_wrong_method_405_with_allow(client):
    response = client.get("/v1/nowhere")
    assert response.status_code == 404
    assert response.get_json()["code"] == 5
    response = client.put("/v1/echo/things/1")
    assert response.status_code == 405
    assert response.headers["Allow"] == "DELETE, GET"
    # A method no route takes at all is refused the same way, naming what the path does take.
    traced = client.open("/v1/echo/things/1", method="TRACE")
    assert (traced.status_code, traced.headers["Allow"], traced.get_json()["code"]) == (405, "DELETE, GET", 12)
    assert client.open("/v1/nowhere", method="TRACE").status_code == 404


def test_unknown_query_parameter_is_refused_naming_it(client):
    response = client.get("/v1/echo/shelves/s1/things?pageSize=2&pagesize=3")
    assert response.status_code == 400
    body = response.get_json()
    assert "pagesize" in body["message"]
    assert bad_request_fields(body) == ["pagesize"]


def test_bad_json_body_is_400(client):
    response = client.post("/v1/echo:echo", data=b"{oops", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["code"] == 3


def test_body_over_the_limit_is_413(make_client):
    client = make_client(max_body_bytes=2048)
    response = client.post("/v1/echo:echo", json={"text": "x" * 4096})
    assert response.status_code == 413
    assert error_reason(response.get_json()) == "BODY_TOO_LARGE"
    assert client.post("/v1/echo:echo", json={"text": "x" * 100}).status_code == 200


def test_rate_limit_answers_429_with_retry_after_per_client(make_client, keys):
    client = make_client(rate_limit_per_second=0.5, rate_limit_burst=2)
    assert [client.get("/v1/echo/things/1").status_code for _ in range(3)] == [200, 200, 429]
    limited = client.get("/v1/echo/things/1")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.get_json()["code"] == 8
    # Another client (a token's subject, or another address) has its own bucket.
    token = keys.current.mint("acct-rate")
    assert client.get("/v1/echo/things/1", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    other = client.get("/v1/echo/things/1", environ_base={"REMOTE_ADDR": "198.51.100.4"})
    assert other.status_code == 200


def test_upstream_down_is_503(make_client, echo_address):
    client = make_client({"testing": dead_address(), "identity": echo_address})
    response = client.get("/v1/echo/things/1")
    assert response.status_code == 503
    body = response.get_json()
    assert body["code"] == 14 and body["message"]


def test_upstream_slower_than_the_client_timeout_is_504(client):
    response = client.get("/v1/echo/slow?millis=5000", headers={"Grpc-Timeout": "200m"})
    assert response.status_code == 504
    assert response.get_json()["code"] == 4


# -- health, readiness, docs -------------------------------------------------------------------

def test_healthz_answers_without_upstreams(make_client):
    client = make_client({"testing": dead_address(), "identity": dead_address()})
    assert client.get("/healthz").status_code == 200


def test_readyz_reports_every_upstream_serving(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["upstreams"] == {
        "identity": {"tongban.identity.v1.DirectoryService": "SERVING"},
        "testing": {"tongban.testing.v1.EchoService": "SERVING"},
    }


def test_readyz_is_503_until_the_gateway_has_identitys_keys(make_client, echo_address):
    client = make_client({"testing": echo_address, "identity": dead_address()})
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert (body["status"], body["identityKeys"]) == ("NOT_SERVING", 0)
    assert body["upstreams"]["testing"] == {"tongban.testing.v1.EchoService": "SERVING"}
    assert body["upstreams"]["identity"]["tongban.identity.v1.DirectoryService"] != "SERVING"


def test_once_it_has_the_keys_the_gateway_stays_ready_and_verifies_tokens_with_identity_down(
        make_client, echo_address, keys):
    identity = FakeIdentity(keys.jwks)
    server = start_echo_server(identity=identity)
    client = make_client({"testing": echo_address, "identity": f"127.0.0.1:{server.port}"})
    try:
        assert client.get("/readyz").status_code == 200
    finally:
        server.stop(0)
    assert client.get("/readyz").status_code == 200
    # The keys the probe fetched are the ones the verifier uses: identity was asked once.
    token = keys.current.mint("acct-ready")
    response = client.get("/v1/echo/inspect", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.get_json()["callerAccountId"] == "acct-ready"
    assert identity.fetches == 1


def test_docs_page_is_self_contained_and_reads_openapi(client):
    response = client.get("/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "openapi.json" in page
    assert not re.search(r"(src|href)=[\"']?https?://", page)
    assert "https://" not in page and "http://" not in page


def test_token_cannot_be_checked_while_identity_is_down_is_503_not_401(make_client, echo_address, keys):
    client = make_client({"testing": echo_address, "identity": dead_address()})
    response = client.get("/v1/echo/inspect", headers={"Authorization": f"Bearer {keys.current.mint('a')}"})
    assert response.status_code == 503
    assert error_reason(response.get_json()) == "JWKS_UNAVAILABLE"
    assert client.get("/v1/echo/inspect").status_code == 200


def test_unknown_error_detail_types_still_reach_the_client():
    import json

    from google.protobuf import any_pb2
    from google.rpc import status_pb2

    from gateway.errors import status_json

    status = status_pb2.Status(code=9, message="m", details=[any_pb2.Any(type_url="type.example.com/x.Y",
                                                                           value=b"\x01")])
    body = json.loads(status_json(status))
    assert body == {"code": 9, "message": "m", "details": [{"@type": "type.example.com/x.Y", "value": "AQ=="}]}


def test_with_consul_configured_the_gateway_reaches_the_instance_consul_resolves(echo_address):
    host, port = echo_address.rsplit(":", 1)
    with StandInAgent() as agent:
        agent.healthy["tongban-testing"] = [instance(host, int(port))]
        app = create_app(GatewaySettings(consul_http_addr=agent.address, rate_limit_per_second=0),
                         [echo_pb2])
        response = app.test_client().get("/v1/echo/things/7")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["id"] == "7"
    assert any(path == "/v1/health/service/tongban-testing" for _method, path, _query, _body in agent.requests)



# -- the declared audience, before the request is read ------------------------------------------------

def test_a_route_for_staff_refuses_an_anonymous_caller_with_401_before_it_reads_a_bad_request(client):
    response = client.delete("/v1/echo/things/t1?noSuchParameter=1")
    assert response.status_code == 401 and error_reason(response.get_json()) == "LOGIN_REQUIRED"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    # A public route reads the request, and names what is wrong with it.
    public = client.get("/v1/echo/things/t1?noSuchParameter=1")
    assert public.status_code == 400


def test_a_route_for_staff_refuses_an_enterprise_member_with_403_and_admits_staff(client, keys):
    member = keys.current.mint("acct-1", org="org-1", roles=("OWNER",), scopes=("rare_earth",))
    refused = client.delete("/v1/echo/things/t1?noSuchParameter=1", headers={"Authorization": f"Bearer {member}"})
    assert refused.status_code == 403 and error_reason(refused.get_json()) == "OUTSIDE_AUDIENCE"
    staff = keys.current.mint("acct-2", roles=("STAFF",), scopes=("rare_earth",), kind="STAFF",
                              agency="MIIT_RE_OFFICE")
    admitted = client.delete("/v1/echo/things/t1", headers={"Authorization": f"Bearer {staff}"})
    assert admitted.status_code == 200 and admitted.get_json()["id"] == "t1"
