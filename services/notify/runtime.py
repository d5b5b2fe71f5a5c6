"""The per-process parts of notify: settings, providers and identity."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from services.chassis.runtime import ServiceContext
from services.notify.providers import Provider, build_providers
from services.notify.recipients import Directory, IdentityDirectory
from services.notify.settings import NotifySettings

log = logging.getLogger(__name__)


@dataclass
class NotifyRuntime:
    context: ServiceContext
    settings: NotifySettings
    providers: dict[str, Provider] = field(default_factory=dict)
    directory: Directory | None = None

    def __post_init__(self) -> None:
        if not self.providers:
            self.providers = build_providers(self.settings)
        if self.directory is None:
            self.directory = IdentityDirectory(self.context.channels)

    def unit_of_work(self):
        return self.context.unit_of_work()


_ATTRIBUTE = "_notify_runtime"


def runtime_for(context: ServiceContext) -> NotifyRuntime:
    """One runtime per service context (and so per process), made on first use."""
    runtime = context.__dict__.get(_ATTRIBUTE)
    if runtime is None:
        runtime = NotifyRuntime(context, NotifySettings.from_env())
        context.__dict__[_ATTRIBUTE] = runtime
    return runtime


def attach_runtime(context: ServiceContext, runtime: NotifyRuntime) -> NotifyRuntime:
    """Tests build a runtime with their own settings, providers or directory."""
    context.__dict__[_ATTRIBUTE] = runtime
    return runtime
