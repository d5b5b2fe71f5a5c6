"""A DNS server for tests: names answer the A records a test gives them, as a headless Service's name does.

gRPC's resolver is pointed at it with a ``dns://127.0.0.1:<port>/<name>:<port>`` target.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from dnslib import QTYPE, RR, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from services.chassis.testing import free_port


class _Records(BaseResolver):
    def __init__(self, records: Mapping[str, Sequence[str]]):
        self.records = {name.rstrip(".") + ".": list(addresses) for name, addresses in records.items()}

    def resolve(self, request, handler):
        reply = request.reply()
        question = request.q
        if question.qtype in (QTYPE.A, QTYPE.ANY):
            for address in self.records.get(str(question.qname), []):
                reply.add_answer(RR(question.qname, QTYPE.A, rdata=A(address), ttl=5))
        return reply


@contextmanager
def dns_stand_in(records: Mapping[str, Sequence[str]]) -> Iterator[str]:
    """Serves ``records`` over UDP and TCP; yields the server's ``127.0.0.1:<port>``."""
    port = free_port()
    resolver = _Records(records)
    quiet = DNSLogger(log="-request,-reply,-truncated,-error", prefix=False)
    servers = [DNSServer(resolver, address="127.0.0.1", port=port, tcp=tcp, logger=quiet) for tcp in (False, True)]
    for server in servers:
        server.start_thread()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        for server in servers:
            server.stop()
