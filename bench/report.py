"""Printing benchmark figures: median and spread of repeated runs, and the ratio to a floor.

These machines have two shared cores, so every figure is a median of several runs
and is printed beside a baseline measured in the same run, never as an absolute claim.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    samples: Sequence[float]
    unit: str

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        """Half the range, as a share of the median's size: how much to trust the median."""
        if len(self.samples) < 2 or self.median == 0:
            return 0.0
        return (max(self.samples) - min(self.samples)) / 2 / abs(self.median)

    def describe(self) -> str:
        return f"{self.median:,.2f} {self.unit} (±{self.spread:.0%}, n={len(self.samples)})"


def repeat(measure: Callable[[], float], times: int = 3) -> list[float]:
    return [measure() for _ in range(times)]


def print_header(title: str) -> None:
    print(f"\n== {title}")


def print_figure(figure: Figure, baseline: Figure | None = None, *, higher_is_better: bool = True) -> None:
    """``name: value; baseline name: value; ratio r`` — the ratio is figure/baseline."""
    line = f"{figure.name}: {figure.describe()}"
    if baseline is not None and baseline.median:
        ratio = figure.median / baseline.median
        better = "higher is better" if higher_is_better else "lower is better"
        line += f" | {baseline.name}: {baseline.describe()} | ratio {ratio:.2f}x ({better})"
    print(line, flush=True)


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]
