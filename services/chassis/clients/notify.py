"""Notify over gRPC: the relays' way to hand it a notification request while no broker answers."""

from __future__ import annotations

from google.protobuf import json_format

from services.chassis.amqp import MESSAGE_ID_METADATA
from services.chassis.grpc_client import DEFAULT_DEADLINE, ChannelFactory
from services.chassis.messages import NOTIFY_EXCHANGE, InboundMessage


def grpc_metadata(message: InboundMessage) -> list[tuple[str, str]]:
    """The message id and the message's headers (trace context, request id) as gRPC metadata."""
    metadata = [(MESSAGE_ID_METADATA, message.message_id)]
    for key, value in message.headers.items():
        name = key.lower()
        if name != MESSAGE_ID_METADATA and not name.endswith("-bin") and name.isascii() and value.isascii():
            metadata.append((name, value))
    return metadata


class NotifyClient:
    def __init__(self, channels: ChannelFactory, *, timeout: float = DEFAULT_DEADLINE):
        self._channels = channels
        self._timeout = timeout

    def submit(self, message: InboundMessage) -> None:
        """``NotifyService/SubmitNotification`` (it dedupes by message id); raises when not delivered."""
        from protos.notify.v1 import notify_pb2, notify_pb2_grpc

        request = json_format.ParseDict(message.payload, notify_pb2.NotificationRequest(),
                                        ignore_unknown_fields=True)
        if not request.message_id:
            request.message_id = message.message_id
        stub = self._channels.stub("notify", notify_pb2_grpc.NotifyServiceStub)
        stub.SubmitNotification(request, timeout=self._timeout, metadata=grpc_metadata(message))


def default_direct_routes(channels: ChannelFactory) -> dict:
    """Without a broker, notification requests go straight to notify; other exchanges wait for the broker."""
    return {NOTIFY_EXCHANGE: NotifyClient(channels).submit}
