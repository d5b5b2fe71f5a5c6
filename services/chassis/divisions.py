"""GB/T 2260 administrative divisions, shipped as data: provinces, prefecture-level and county-level divisions.

One list for every service that takes a place as a division code (an enterprise's city, an
application's final-use location). The data (``data/divisions.json``) holds the 31
provincial divisions of the mainland, their prefecture-level divisions (a municipality's
市辖区, Chongqing's 县, the 省直辖县级行政区划 groups) and the county-level divisions under
each; a prefecture-level city without counties (东莞市, 中山市, 嘉峪关市, 儋州市, 三沙市) is the
lowest level there is. The official list published by the Ministry of Civil Affairs replaces it.
"""

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
    def __init__(self, provinces: dict[str, Division], cities: dict[str, tuple[Division, str]],
                 counties: dict[str, tuple[Division, str]] | None = None):
        self._provinces = provinces
        # city code -> (city, its province code)
        self._cities = cities
        # county code -> (county, its city code)
        self._counties = counties or {}
        self._cities_with_counties = {city for _county, city in self._counties.values()}

    @classmethod
    def from_document(cls, document: dict) -> Divisions:
        provinces: dict[str, Division] = {}
        cities: dict[str, tuple[Division, str]] = {}
        counties: dict[str, tuple[Division, str]] = {}
        for province in document["provinces"]:
            provinces[province["code"]] = Division(province["code"], province["name"])
            for city in province["cities"]:
                cities[city["code"]] = (Division(city["code"], city["name"]), province["code"])
                for county in city.get("counties", ()):
                    counties[county["code"]] = (Division(county["code"], county["name"]), city["code"])
        return cls(provinces, cities, counties)

    def province(self, code: str) -> Division | None:
        return self._provinces.get(code)

    def city(self, code: str) -> Division | None:
        found = self._cities.get(code)
        return found[0] if found else None

    def county(self, code: str) -> Division | None:
        found = self._counties.get(code)
        return found[0] if found else None

    def city_in_province(self, city_code: str, province_code: str) -> bool:
        found = self._cities.get(city_code)
        return found is not None and found[1] == province_code

    def city_of(self, code: str) -> str:
        """The prefecture-level division a county or city code belongs to; "" for a province or unknown code."""
        if code in self._cities:
            return code
        found = self._counties.get(code)
        return found[1] if found else ""

    def is_lowest_level(self, code: str) -> bool:
        """A county-level division, or a prefecture-level city that has none under it (东莞市)."""
        return code in self._counties or (code in self._cities and code not in self._cities_with_counties)

    def children(self, parent_code: str = "") -> list[Division]:
        """The provinces (no parent), a province's prefecture-level divisions, or a city's counties."""
        if not parent_code:
            return list(self._provinces.values())
        if parent_code in self._provinces:
            return [city for city, province in self._cities.values() if province == parent_code]
        return [county for county, city in self._counties.values() if city == parent_code]

    def name_of(self, code: str) -> str:
        division = self.province(code) or self.city(code) or self.county(code)
        return division.name if division else ""

    def full_name(self, code: str) -> str:
        """Province, city and county names joined, as an address reads (浙江省杭州市西湖区); the grouping
        names a municipality's or province's city level has (市辖区, 省直辖县级行政区划) are left out."""
        city = self.city_of(code)
        province = self._cities[city][1] if city else (code if code in self._provinces else "")
        parts = [self.name_of(province)]
        if city and not self.name_of(city).endswith(("市辖区", "直辖县级行政区划")) and self.name_of(city) != "县":
            parts.append(self.name_of(city))
        if code in self._counties:
            parts.append(self.name_of(code))
        return "".join(part for part in parts if part)

    @property
    def province_count(self) -> int:
        return len(self._provinces)

    @property
    def city_count(self) -> int:
        return len(self._cities)

    @property
    def county_count(self) -> int:
        return len(self._counties)


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
    """A region code as a prefix of the codes inside it: 450000 -> 45, 450700 -> 4507, 450702 -> 450702."""
    if region_code.endswith("0000"):
        return region_code[:2]
    if region_code.endswith("00"):
        return region_code[:4]
    return region_code
