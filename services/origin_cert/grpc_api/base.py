"""What every servicer shares: the context, and answering a create with 201."""

from __future__ import annotations

import grpc
from google.protobuf.message import Message

from services.chassis.http_metadata import set_http_status
from services.origin_cert.config import OriginCertContext

CREATED = 201


class Servicer:
    def __init__(self, context: OriginCertContext):
        self._context = context


def created(context: grpc.ServicerContext, message: Message) -> Message:
    set_http_status(context, CREATED)
    return message
