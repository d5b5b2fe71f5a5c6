"""The rare_earth service's own settings, and the type of its context."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from services.chassis.config import Env
from services.chassis.context import ServiceContext
from services.rare_earth.domain.windows import today


@dataclass(frozen=True)
class RareEarthConfig:
    # RARE_EARTH_TODAY (yyyy-mm-dd): the day reporting windows and jobs take as today, in dev and test
    # only, so a demo or a test can stand on either side of a window without waiting for the calendar.
    pinned_today: date | None = None


def read_config(environ: Mapping[str, str] | None = None) -> RareEarthConfig:
    env = Env(environ)
    text = env.optional("RARE_EARTH_TODAY")
    pinned = None
    if text:
        try:
            pinned = date.fromisoformat(text.strip())
        except ValueError:
            env.problems.append(f"RARE_EARTH_TODAY={text!r} is not a date (yyyy-mm-dd)")
    env.check()
    return RareEarthConfig(pinned_today=pinned)


# rare_earth has no pluggable providers.
RareEarthContext = ServiceContext[RareEarthConfig, None]


def today_for(context: RareEarthContext) -> date:
    """Today in China; the pinned day in dev and test when RARE_EARTH_TODAY sets one."""
    config = context.config or RareEarthConfig()
    return today(config.pinned_today if context.settings.environment in ("dev", "test") else None)
