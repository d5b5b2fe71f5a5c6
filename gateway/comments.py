"""The comments of the .proto files, for the OpenAPI document's summaries and descriptions.

The generated ``_pb2`` modules carry no comments, so ``make protos`` also writes a
descriptor set with source info (protos/generate.py's ``DESCRIPTOR_SET``); it is read
here once. Nothing compiles protos at run time: the production image runs with a
read-only filesystem and without protoc, and has that file from its build.
"""

from __future__ import annotations

import logging
from pathlib import Path

from google.protobuf import descriptor_pb2

from protos.generate import DESCRIPTOR_SET

log = logging.getLogger(__name__)

_FILE_MESSAGE, _FILE_ENUM, _FILE_SERVICE = 4, 5, 6
_MESSAGE_FIELD, _MESSAGE_NESTED, _MESSAGE_ENUM = 2, 3, 4
_SERVICE_METHOD, _ENUM_VALUE = 2, 2


def proto_comments(path: Path = DESCRIPTOR_SET) -> dict[str, str]:
    """Leading comments by full name (messages, fields, enums, services, methods); {} without the file."""
    try:
        descriptor_set = descriptor_pb2.FileDescriptorSet.FromString(path.read_bytes())
    except FileNotFoundError:
        log.warning("%s is missing (run `make protos`): the OpenAPI document has no descriptions", path)
        return {}
    comments: dict[str, str] = {}
    for file_proto in descriptor_set.file:
        _collect(file_proto, comments)
    return comments


def _collect(file_proto: descriptor_pb2.FileDescriptorProto, out: dict[str, str]) -> None:
    by_path = {tuple(loc.path): loc.leading_comments.strip() for loc in file_proto.source_code_info.location
               if loc.leading_comments.strip()}
    if not by_path:
        return
    package = file_proto.package

    def add(path: tuple[int, ...], name: str) -> None:
        text = by_path.get(path)
        if text:
            out[name] = "\n".join(line.strip() for line in text.splitlines())

    def message(proto: descriptor_pb2.DescriptorProto, path: tuple[int, ...], scope: str) -> None:
        name = f"{scope}.{proto.name}"
        add(path, name)
        for i, f in enumerate(proto.field):
            add((*path, _MESSAGE_FIELD, i), f"{name}.{f.name}")
        for i, nested in enumerate(proto.nested_type):
            message(nested, (*path, _MESSAGE_NESTED, i), name)
        for i, enum in enumerate(proto.enum_type):
            add((*path, _MESSAGE_ENUM, i), f"{name}.{enum.name}")

    for i, proto in enumerate(file_proto.message_type):
        message(proto, (_FILE_MESSAGE, i), package)
    for i, enum in enumerate(file_proto.enum_type):
        add((_FILE_ENUM, i), f"{package}.{enum.name}")
    for i, service in enumerate(file_proto.service):
        add((_FILE_SERVICE, i), f"{package}.{service.name}")
        for j, method in enumerate(service.method):
            add((_FILE_SERVICE, i, _SERVICE_METHOD, j), f"{package}.{service.name}.{method.name}")
