"""The platform services every service calls: identity (who, and who may) and notify (tell someone); and
rare_earth, which notify asks whom a notice's sender may address there.

The only place the chassis speaks another service's contract; the rest of it knows no service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc

from services.chassis.errors import Unavailable

# What a peer may answer when it is down, overloaded or too slow: the caller may try again.
TRANSIENT_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                   grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.ABORTED)


def call_peer(method: Callable[..., Any], request: Any, timeout: float, *, title: str, reason: str) -> Any:
    """``method(request)``; a transient failure becomes :class:`Unavailable` naming the peer (``title``,
    ``reason``), any other refusal propagates as it is: it is a bug between services."""
    try:
        return method(request, timeout=timeout)
    except grpc.RpcError as error:
        code = error.code() if hasattr(error, "code") else None
        if code in TRANSIENT_CODES:
            raise Unavailable(f"{title}暂时不可用：{code.name}", reason=reason) from error
        raise
