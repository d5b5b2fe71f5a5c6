"""Goals: a figure's ratio to its floor, both measured in the same run, against the ratio it must reach.

Each benchmark prints its goals as it measures them; ``make bench`` prints them all again
at the end, one table, each marked met or not.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.report import Figure

_reached: list[Outcome] = []


@dataclass(frozen=True)
class Outcome:
    goal: str
    figure: Figure
    floor: Figure
    ratio: float
    limit: float
    at_most: bool

    @property
    def met(self) -> bool:
        return self.ratio <= self.limit if self.at_most else self.ratio >= self.limit

    def line(self) -> str:
        sign = "≤" if self.at_most else "≥"
        return (f"{self.goal}: {self.figure.describe()} | floor, {self.floor.name}: {self.floor.describe()} | "
                f"ratio {self.ratio:.2f}x | goal {sign} {self.limit:g}x | {'met' if self.met else 'NOT MET'}")


def check(goal: str, figure: Figure, floor: Figure, *, at_most: float | None = None,
          at_least: float | None = None) -> Outcome:
    """Print ``figure`` against ``floor`` with the goal for their ratio; exactly one of at_most/at_least."""
    if (at_most is None) == (at_least is None):
        raise ValueError("a goal is either at most or at least a ratio")
    ratio = figure.median / floor.median if floor.median else float("inf")
    outcome = Outcome(goal, figure, floor, ratio, at_most if at_most is not None else at_least,
                      at_most is not None)
    _reached.append(outcome)
    print(f"GOAL {outcome.line()}", flush=True)
    return outcome


def summary() -> list[Outcome]:
    """Every goal checked in this process so far, in order."""
    return list(_reached)


def print_summary() -> None:
    if not _reached:
        return
    met = sum(1 for outcome in _reached if outcome.met)
    print(f"\n######## goals: {met} of {len(_reached)} met", flush=True)
    for outcome in _reached:
        print(f"- {outcome.line()}", flush=True)
