"""The demo HS catalogue, generated deterministically from two small files under ``data/``.

``hs_subheadings.csv`` lists real six-digit HS subheadings of products in the CCC catalogue with
their Chinese names, their HS standard unit (第一法定计量单位) and a group; ``hs_rules.json`` says, per
group, which product characteristics a code requires, which units a quantity may be given in, and
how the subheading splits into ten-digit codes: digits 7-8 by the national splits (the last one
"其他" is 90), digits 9-10 by the inspection supplement (00 for the plain code). The splits are
made up for the demo; the official CCC exemption catalogue (codes, names, characteristics and
units as CNCA publishes them) replaces both files.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    name: str
    standard_unit: str
    characteristics: tuple[str, ...]
    quantity_units: tuple[str, ...]


def _national_digits(index: int, count: int) -> str:
    """10, 20, ... for the splits; 90 for the last one, which is always "其他"."""
    return "90" if index == count - 1 else f"{index + 1}0"


def _codes(subheading: str, name: str, unit: str, rule: dict) -> Iterator[CatalogueEntry]:
    characteristics = tuple(rule["characteristics"])
    units = tuple(dict.fromkeys([unit, *rule["units"]]))
    national = rule["national"]
    for n, split in enumerate(national):
        stem = subheading + _national_digits(n, len(national))
        yield CatalogueEntry(stem + "00", f"{name}（{split}）", unit, characteristics, units)
        for s, supplement in enumerate(rule["supplement"]):
            yield CatalogueEntry(f"{stem}{s + 1}0", f"{name}（{split}，{supplement}）", unit, characteristics, units)


@cache
def entries() -> tuple[CatalogueEntry, ...]:
    """Every code of the demo catalogue, in code order."""
    rules = json.loads((DATA / "hs_rules.json").read_text(encoding="utf-8"))
    found: dict[str, CatalogueEntry] = {}
    with (DATA / "hs_subheadings.csv").open(encoding="utf-8", newline="") as source:
        for row in csv.DictReader(source):
            rule = rules["groups"].get(row["group"], rules["default"])
            for entry in _codes(row["subheading"], row["name"], row["unit"], rule):
                found.setdefault(entry.code, entry)
    return tuple(found[code] for code in sorted(found))
