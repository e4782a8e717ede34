"""A city deployment (市级): one registry holding the districts a city profile lists, the
city analyst's read-only view of them, and the city roll-ups (the district comparison and the
city totals), each on one basis and as-of. See docs/city.md."""

from carbonpeak.services.city.rollup import (
    COMPARED,
    TOTALLED,
    CityTotal,
    DistrictRow,
    city_by_code,
    city_districts,
    city_of,
    city_totals,
    district_comparison,
    sum_like_with_like,
)

__all__ = ["COMPARED", "TOTALLED", "CityTotal", "DistrictRow", "city_by_code",
           "city_districts", "city_of", "city_totals", "district_comparison",
           "sum_like_with_like"]
