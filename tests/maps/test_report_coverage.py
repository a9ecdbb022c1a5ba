"""The report's coverage section: a district whose median lies beyond the travel-time bound."""

from __future__ import annotations

import re

from accessplan.maps.report_measures import coverage_section


def _summary(median_north, population_south=0.0):
    zone = {"state": "before", "share_within_30min": 0.2, "share_within_60min": 0.4}
    return {
        "coverage": {
            "thresholds_minutes": [30, 60],
            "bound_minutes": 60,
            "population_before": {"30": 20.0, "60": 40.0},
            "share_before": {"30": 0.2, "60": 0.4},
            "zones": [
                dict(zone, zone="North", population=100.0, median_minutes_nearest=median_north),
                dict(zone, zone="South", population=population_south, median_minutes_nearest=None),
            ],
        }
    }


def _cell(html, ident):
    return re.search(rf'id="{ident}"[^>]*>([^<]*)<', html).group(1)


def test_a_median_beyond_the_bound_reads_over_the_bound_not_a_dash():
    html = coverage_section(_summary(None))
    # 60% of North reach no facility within 60 minutes: its median is over 60, and
    # the report says so (a dash would read as "no data")
    assert _cell(html, "zone-before-North-median") == "over 60"
    assert (
        "more than half of the district's population has no facility within the 60-minute" in html
    )
    # an empty district has no median at all: a dash
    assert _cell(html, "zone-before-South-median") == "–"


def test_a_known_median_is_a_number_and_no_note():
    html = coverage_section(_summary(42.25))
    assert _cell(html, "zone-before-North-median") == "42.25"
    assert "over 60" not in html
