"""The type of notify's per-process context: its settings and its providers in the chassis' slots."""

from __future__ import annotations

from services.chassis.context import ServiceContext
from services.notify.providers import NotifyProviders
from services.notify.settings import NotifySettings

NotifyContext = ServiceContext[NotifySettings, NotifyProviders]
