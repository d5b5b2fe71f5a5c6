"""The GB/T 2260 list every service shares: three levels, each code under the one above it."""

from __future__ import annotations

from services.chassis.divisions import divisions, region_prefix, regions_over


def test_the_list_has_the_mainland_provinces_their_cities_and_the_counties_under_them():
    places = divisions()
    assert (places.province_count, places.city_count) == (31, 342)
    assert places.county_count > 2800
    assert places.name_of("330106") == "西湖区"
    assert places.city_of("330106") == "330100"
    assert places.city_of("330100") == "330100"
    assert places.city_of("330000") == ""


def test_a_full_name_reads_like_an_address_without_the_grouping_levels():
    places = divisions()
    assert places.full_name("330106") == "浙江省杭州市西湖区"
    assert places.full_name("110105") == "北京市朝阳区"
    assert places.full_name("429004") == "湖北省仙桃市"
    assert places.full_name("441900") == "广东省东莞市"


def test_the_lowest_level_is_a_county_or_a_city_that_has_none():
    places = divisions()
    assert places.is_lowest_level("330106")
    assert places.is_lowest_level("441900")  # 东莞市 has towns, not counties
    assert not places.is_lowest_level("330100")
    assert not places.is_lowest_level("330000")
    assert not places.is_lowest_level("999999")


def test_recent_changes_are_in_the_list():
    places = divisions()
    assert places.name_of("370116") == "莱芜区"  # 莱芜市 merged into 济南 in 2019
    assert places.city("371200") is None
    assert places.name_of("540602") == "色尼区"  # 那曲 became a city in 2018


def test_region_codes_become_prefixes_and_enclosing_regions():
    assert region_prefix("450000") == "45" and region_prefix("450700") == "4507"
    assert regions_over("450702") == ["450702", "450000"]
