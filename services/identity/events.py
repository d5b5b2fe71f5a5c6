"""What identity publishes on ``tongban.events`` (routing key = event name). It consumes nothing.

- ``identity.account.registered``: ``{accountId, kind, organizationId?}`` — kind LEGAL_PERSON,
  NATURAL_PERSON or INSTITUTION.
- ``identity.account.deleted``: ``{accountId, organizationIds, deletedAt}`` — the account's personal
  data is already erased; services drop or anonymise what they keep about it.

Notification requests go to notify with the templates ``identity.verification_code.<purpose>``
(params ``code``, ``minutes``), ``identity.agent.applied`` / ``.approved`` / ``.rejected`` and
``identity.account.deleted``.
"""

ACCOUNT_REGISTERED = "identity.account.registered"
ACCOUNT_DELETED = "identity.account.deleted"
