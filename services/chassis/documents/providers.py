"""A service's documents parts: the attachment store it keeps files in, and the signer of its certificates."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from services.chassis.documents.config import DocumentsConfig
from services.chassis.documents.signing import CertificateSigner, signer_from_config
from services.chassis.documents.store import AttachmentStore
from services.chassis.documents.tables import AttachmentTables


class DocumentsProviders:
    """The store, made at once; the signer, made on first use, so a migration or a relay never touches keys."""

    def __init__(self, config: DocumentsConfig, tables: AttachmentTables, *,
                 signer: CertificateSigner | None = None):
        self.config = config
        self.store = AttachmentStore.from_config(tables, config)
        self._signer = signer
        self._lock = threading.Lock()

    @property
    def signer(self) -> CertificateSigner:
        """The issuing system's signer; in production without its files, a ConfigError naming them."""
        if self._signer is None:
            with self._lock:
                if self._signer is None:
                    self._signer = signer_from_config(self.config)
        return self._signer


def ready_to_issue(context: Any) -> Callable[[], None]:
    """``before_serving`` of a service that issues certificates: its signer exists before its first call.

    A server missing its signer files stops at start with the variables named, rather than on the
    first certificate a user asks for.
    """
    context.providers.signer  # noqa: B018 - made here, on purpose, before the server takes calls
    return lambda: None
