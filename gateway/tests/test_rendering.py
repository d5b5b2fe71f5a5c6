"""The compiled renderer answers exactly what protobuf's json_format gives, with unset presence fields as null."""

from __future__ import annotations

import math

import pytest
from google.protobuf import descriptor, json_format, struct_pb2
from google.protobuf.message import Message

from gateway.rendering import message_to_json
from protos.testing.v1 import echo_pb2


def reference(message: Message) -> dict:
    """json_format's proto3 JSON with every field printed, and null for each unset field with presence."""
    document = json_format.MessageToDict(message, always_print_fields_with_no_presence=True)
    _nulls(message.DESCRIPTOR, document)
    return document


def _nulls(message_type: descriptor.Descriptor, document: dict) -> None:
    for f in message_type.fields:
        if f.json_name not in document:
            document[f.json_name] = None
        elif (f.message_type is not None and not f.message_type.GetOptions().map_entry
              and f.message_type.full_name.startswith("tongban.")):
            for item in document[f.json_name] if f.is_repeated else [document[f.json_name]]:
                if isinstance(item, dict):
                    _nulls(f.message_type, item)


def everything() -> echo_pb2.EchoMessage:
    message = echo_pb2.EchoMessage(
        text="稀土 \u0000 \"quoted\"", int32_value=-7, int64_value=-(2**63), uint64_value=2**64 - 1,
        double_value=1e-300, float_value=0.1, bool_value=True, bytes_value=b"\x00\xffbytes", color=echo_pb2.BLUE,
        colors=[echo_pb2.RED, echo_pb2.GREEN], numbers=[1, -2, 3], attributes={"a": "1", "长": "值"},
        size=echo_pb2.Dimensions(width=2, height=0))
    message.time.FromJsonString("2026-03-01T08:00:00.123456Z")
    message.duration.FromJsonString("-1.500s")
    message.maybe = "there"
    return message


@pytest.mark.parametrize("message", [
    echo_pb2.EchoMessage(),
    everything(),
    echo_pb2.EchoMessage(double_value=math.inf, float_value=-math.inf),
    echo_pb2.EchoMessage(color=99),  # a number the enum does not name
    echo_pb2.Thing(id="1", labels=["a"], count=2**53 + 1, approved=True),
    echo_pb2.ListThingsResponse(things=[echo_pb2.Thing(id="1"), echo_pb2.Thing(id="2", size=echo_pb2.Dimensions())],
                                total_size=2, request=echo_pb2.ListThingsRequest(parent="shelves/1")),
], ids=["empty", "every-kind", "infinities", "unknown-enum", "thing", "nested-list"])
def test_the_rendered_json_is_protobufs_own_with_nulls_for_unset_presence_fields(message):
    assert message_to_json(message) == reference(message)


def test_nan_is_written_as_protobuf_writes_it():
    assert message_to_json(echo_pb2.EchoMessage(double_value=math.nan))["doubleValue"] == "NaN"


def test_well_known_types_inside_other_messages_keep_their_json_form():
    value = struct_pb2.Value(struct_value=struct_pb2.Struct(fields={"k": struct_pb2.Value(number_value=1)}))
    assert message_to_json(value) == {"k": 1}
