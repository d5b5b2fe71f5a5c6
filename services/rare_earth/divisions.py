"""GB/T 2260 administrative divisions: provinces and prefecture-level divisions, shipped as data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "divisions.json"


@dataclass(frozen=True)
class Division:
    code: str
    name: str


class Divisions:
    def __init__(self, provinces: dict[str, Division], cities: dict[str, tuple[Division, str]]):
        self._provinces = provinces
        # city code -> (city, its province code)
        self._cities = cities

    @classmethod
    def from_document(cls, document: dict) -> Divisions:
        provinces: dict[str, Division] = {}
        cities: dict[str, tuple[Division, str]] = {}
        for province in document["provinces"]:
            provinces[province["code"]] = Division(province["code"], province["name"])
            for city in province["cities"]:
                cities[city["code"]] = (Division(city["code"], city["name"]), province["code"])
        return cls(provinces, cities)

    def province(self, code: str) -> Division | None:
        return self._provinces.get(code)

    def city(self, code: str) -> Division | None:
        found = self._cities.get(code)
        return found[0] if found else None

    def city_in_province(self, city_code: str, province_code: str) -> bool:
        found = self._cities.get(city_code)
        return found is not None and found[1] == province_code

    def name_of(self, code: str) -> str:
        division = self.province(code) or self.city(code)
        return division.name if division else ""

    @property
    def province_count(self) -> int:
        return len(self._provinces)

    @property
    def city_count(self) -> int:
        return len(self._cities)


@cache
def divisions() -> Divisions:
    return Divisions.from_document(json.loads(DATA_FILE.read_text(encoding="utf-8")))


def regions_over(region_code: str) -> list[str]:
    """The region and those enclosing it, nearest first: 450700 -> [450700, 450000]; 450000 -> [450000]."""
    if not region_code:
        return []
    province = f"{region_code[:2]}0000"
    return [region_code] if region_code == province else [region_code, province]


def region_prefix(region_code: str) -> str:
    """A local authority's region code as a prefix of the codes inside it: 450000 -> 45, 450700 -> 4507."""
    if region_code.endswith("0000"):
        return region_code[:2]
    if region_code.endswith("00"):
        return region_code[:4]
    return region_code
