"""Revoked access tokens: recorded with the change that revokes them, listed to the verifiers that poll.

An access token is verified locally by every service and the gateway, so ending a session in
identity's tables alone would leave its token working until it expires. Each change that must end
tokens early writes a row here in its own unit of work; verifiers ask for the rows recorded since
their last poll (ListRevocations) and refuse what they cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.chassis.auth import REVOCATION_LEEWAY_SECONDS
from services.chassis.db import aware, utcnow
from services.chassis.paging import paginate
from services.identity.models import TokenRevocation
from services.identity.providers import IdentityContext

SESSION = "SESSION"
SUBJECT = "SUBJECT"
# How long a row is kept: past the longest access token it could cover (IDENTITY_ACCESS_TOKEN_SECONDS
# is at most a day), a row refuses nothing, so each new revocation removes the rows older than this.
KEPT_FOR = timedelta(days=1, seconds=REVOCATION_LEEWAY_SECONDS + 3600)
# A page is a poll's worth: verifiers read every page each time, so let one hold a busy minute.
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Listed:
    revocation: TokenRevocation
    expires_at_ms: int


@dataclass(frozen=True)
class RevocationPage:
    items: list[Listed]
    next_page_token: str
    as_of_ms: int


def millis(moment: datetime) -> int:
    return int(aware(moment).timestamp() * 1000)


def revoke_session(session: Session, family_id: str, reason: str) -> None:
    """Every access token of one session (its ``sid``) is refused from the verifiers' next poll."""
    now = utcnow()
    session.add(TokenRevocation(kind=SESSION, key=family_id, reason=reason[:64], issued_before_ms=0,
                                recorded_at=now))
    _forget_expired(session, now)


def revoke_subject(session: Session, account_id: str, reason: str, organization_id: str | None = None) -> None:
    """Every access token of the account signed until now is refused (only those acting for
    ``organization_id`` when given); tokens signed after stand.

    Alone for changes that leave the sessions open (a role or scopes changed): refreshing gets a
    token with the claims as they are now.
    """
    now = utcnow()
    session.add(TokenRevocation(kind=SUBJECT, key=account_id, reason=reason[:64], issued_before_ms=millis(now),
                                organization_id=organization_id, recorded_at=now))
    _forget_expired(session, now)


def _forget_expired(session: Session, now: datetime) -> None:
    """Remove the rows that can no longer cover any token (indexed by ``recorded_at``: a range delete)."""
    session.execute(delete(TokenRevocation).where(TokenRevocation.recorded_at < now - KEPT_FOR),
                    execution_options={"synchronize_session": False})


def list_revocations(context: IdentityContext, since_ms: int, page_size: int, page_token: str) -> RevocationPage:
    """Revocations recorded at or after ``since_ms`` that can still cover an unexpired token, oldest first."""
    now = utcnow()
    # The longest a token signed before a revocation can still be presented after it.
    lifetime = timedelta(seconds=context.config.access_token_seconds + REVOCATION_LEEWAY_SECONDS)
    since = now - lifetime
    if since_ms > 0:
        since = max(since, datetime.fromtimestamp(since_ms / 1000, UTC))
    query = (select(TokenRevocation).where(TokenRevocation.recorded_at >= since)
             .order_by(TokenRevocation.recorded_at, TokenRevocation.id))
    with context.unit_of_work(read_only=True) as uow:
        page = paginate(uow.session, query, page_size or MAX_PAGE_SIZE, page_token, maximum=MAX_PAGE_SIZE)
    items = [Listed(r, millis(r.recorded_at + lifetime)) for r in page.items]
    return RevocationPage(items, page.next_page_token, millis(now))
