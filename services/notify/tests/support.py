"""Test doubles for notify: an SMTP server that refuses on cue."""

from __future__ import annotations


class RefusingSmtpHandler:
    """Answers DATA with 451 for the first ``refuse`` messages (or always), then accepts."""

    def __init__(self, refuse: int = 0, always: bool = False):
        self.refuse = refuse
        self.always = always
        self.calls = 0
        self.accepted: list = []

    async def handle_DATA(self, server, session, envelope):
        self.calls += 1
        if self.always or self.calls <= self.refuse:
            return "451 4.3.0 Try again later"
        self.accepted.append(envelope)
        return "250 Message accepted for delivery"
