"""The deny list of access tokens revoked before they expire, pulled from identity every few seconds.

Tokens are verified locally, so a logout or a disabled account would otherwise leave its token
working for the rest of its lifetime. Identity records each revocation in the change's own
transaction and lists them (``ListRevocations``); every verifier polls that list from a thread of
its own and keeps in memory the entries that can still cover an unexpired token. A call then costs
a dict lookup or two. A poll that fails keeps the list as it was: a verifier that cannot reach
identity goes on with what it knew, rather than refusing every token.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

SESSION = "SESSION"
SUBJECT = "SUBJECT"
# Each poll asks again from a little before the previous answer's moment: a change whose transaction was
# still committing then has its row recorded earlier than it became visible.
OVERLAP_MS = 30_000
# A page loop that never ends (a bug between versions) must not hold the poll thread forever.
MAX_PAGES = 100


@dataclass(frozen=True)
class Revocation:
    """One entry of identity's list: every token of session ``key`` (SESSION), or those of account ``key``
    issued before ``issued_before_ms`` (SUBJECT), only those acting for ``organization_id`` when it is set;
    of no use after ``expires_at`` (epoch seconds)."""

    id: str
    kind: str
    key: str
    issued_before_ms: int
    expires_at: float
    organization_id: str = ""


# (since_ms, page_token) -> (entries, next page token, identity's clock at the first page in ms).
RevocationFetch = Callable[[int, str], tuple[Sequence[Revocation], str, int]]


def issued_ms(claims: Mapping[str, Any]) -> int:
    """When the token was signed, in milliseconds; a token without ``iat_ms`` counts from the start of its second."""
    precise = claims.get("iat_ms")
    return precise if isinstance(precise, int) else int(claims.get("iat") or 0) * 1000


class RevocationList:
    """Revoked sessions and subjects, refreshed by polling ``fetch`` every ``interval`` seconds."""

    def __init__(self, fetch: RevocationFetch, *, interval: float = 2.0,
                 wall_clock: Callable[[], float] = time.time):
        self._fetch = fetch
        self.interval = interval
        self._wall_clock = wall_clock
        # Replaced whole by each poll, never changed in place: readers on other threads only ever .get.
        self.sessions: dict[str, float] = {}
        # account -> {organisation, or "" for all its tokens: (issued before ms, forget after)}
        self.subjects: dict[str, dict[str, tuple[int, float]]] = {}
        # Changes whenever the entries do: a verifier checks a cached caller again only then.
        self.version = 0
        self._since_ms = 0
        self._failing = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        # The process the poll thread runs in: a forked worker (gunicorn) has none until it starts its own.
        self._started_in: int | None = None
        self.last_success: float | None = None

    def covers(self, claims: Mapping[str, Any]) -> bool:
        """Whether the token of ``claims`` is revoked by what is known."""
        sessions = self.sessions
        if sessions and claims.get("sid") in sessions:
            return True
        subjects = self.subjects
        if subjects:
            cutoffs = subjects.get(claims.get("sub"))
            if cutoffs is not None:
                issued = issued_ms(claims)
                for organization in ("", claims.get("org") or ""):
                    entry = cutoffs.get(organization)
                    if entry is not None and issued < entry[0]:
                        return True
        return False

    def poll_once(self) -> bool:
        """Ask for the revocations since the last poll and merge them in; False (and the list kept) on failure."""
        try:
            entries, as_of_ms = self._read_all()
        except Exception as exc:
            if not self._failing:
                log.warning("fetching revoked tokens failed; keeping the %d known: %s",
                            len(self.sessions) + len(self.subjects), exc)
            else:
                log.debug("fetching revoked tokens failed again: %s", exc)
            self._failing = True
            return False
        if self._failing:
            log.info("fetching revoked tokens works again")
        self._failing = False
        self._merge(entries)
        self._since_ms = max(0, as_of_ms - OVERLAP_MS)
        self.last_success = self._wall_clock()
        return True

    def _read_all(self) -> tuple[list[Revocation], int]:
        entries: list[Revocation] = []
        page, token, as_of_ms = self._fetch(self._since_ms, "")
        entries.extend(page)
        for _ in range(MAX_PAGES):
            if not token:
                break
            page, token, _later = self._fetch(self._since_ms, token)
            entries.extend(page)
        return entries, as_of_ms

    def _merge(self, entries: Sequence[Revocation]) -> None:
        now = self._wall_clock()
        sessions = {sid: until for sid, until in self.sessions.items() if until > now}
        subjects: dict[str, dict[str, tuple[int, float]]] = {}
        for sub, cutoffs in self.subjects.items():
            live = {org: entry for org, entry in cutoffs.items() if entry[1] > now}
            if live:
                subjects[sub] = live
        for entry in entries:
            if entry.expires_at <= now:
                continue
            if entry.kind == SESSION:
                sessions[entry.key] = max(entry.expires_at, sessions.get(entry.key, 0.0))
            elif entry.kind == SUBJECT:
                cutoffs = subjects.setdefault(entry.key, {})
                cutoff, until = cutoffs.get(entry.organization_id, (0, 0.0))
                cutoffs[entry.organization_id] = (max(cutoff, entry.issued_before_ms), max(until, entry.expires_at))
        if sessions != self.sessions or subjects != self.subjects:
            self.sessions, self.subjects = sessions, subjects
            self.version += 1

    def ensure_polling(self) -> None:
        """Poll once now and then from a daemon thread, once per process (cheap when already running)."""
        if self._started_in == os.getpid():
            return
        with self._lock:
            if self._started_in == os.getpid():
                return
            self._started_in = os.getpid()
            self._stop.clear()
            self.poll_once()
            threading.Thread(target=self._run, name="token-revocations", daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll_once()

    def stop(self) -> None:
        self._stop.set()
