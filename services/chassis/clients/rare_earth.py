"""Rare_earth over gRPC for notify: whom a notice's sender may address there.

Answers are plain values. A call rare_earth could not answer in time (or at all) becomes
:class:`Unavailable`, which callers may retry; any other refusal propagates as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.chassis.auth import Caller
from services.chassis.clients import call_peer
from services.chassis.grpc_client import DEFAULT_DEADLINE, ChannelFactory

NOT_A_SENDER = "NOT_A_SENDER"
PARENT_UNIT = "PARENT_UNIT"


@dataclass(frozen=True)
class RecipientCheck:
    # NOT_A_SENDER, OFFICE, OPERATOR, LOCAL_AUTHORITY or PARENT_UNIT.
    role: str
    # The organisations asked that the sender may address, in the order asked.
    allowed: tuple[str, ...]
    parent_enterprise_id: str = ""
    parent_enterprise_name: str = ""


class RareEarthClient:
    def __init__(self, channels: ChannelFactory, *, timeout: float = DEFAULT_DEADLINE):
        self._channels = channels
        self._timeout = timeout

    def check_notice_recipients(self, sender: Caller, organization_ids: Sequence[str]) -> RecipientCheck:
        """Which of ``organization_ids`` the verified ``sender`` may write a rare-earth notice to."""
        from protos.rare_earth.v1 import notices_pb2, notices_pb2_grpc

        request = notices_pb2.CheckNoticeRecipientsRequest(
            sender=notices_pb2.NoticeSender(account_id=sender.account_id or "", kind=sender.kind or "",
                                            agency=sender.agency or "",
                                            organization_id=sender.organization_id or ""),
            organization_ids=list(organization_ids))
        stub = self._channels.stub("rare_earth", notices_pb2_grpc.NoticeAudienceServiceStub)
        answer = call_peer(stub.CheckNoticeRecipients, request, self._timeout, title="稀土产品追溯服务",
                           reason="RARE_EARTH_UNAVAILABLE")
        role = notices_pb2.CheckNoticeRecipientsResponse.SenderRole.Name(answer.role)
        return RecipientCheck(role, tuple(answer.allowed_organization_ids), answer.parent_enterprise_id,
                              answer.parent_enterprise_name)
