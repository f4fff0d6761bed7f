"""Naming a time zone a file defines itself (scheduler/feeds/zones.py): pure, no database."""

from zoneinfo import ZoneInfo

import pytest

from scheduler.feeds.zones import ZoneMatch, match_zone, own_zone, zone_key
from tests.feeds.test_import_zones import CUSTOM_BRASILIA, CUSTOM_CET, DATE_LINE


def zone(text: str):
    return own_zone(text.strip().splitlines())


@pytest.mark.parametrize(
    ("text", "years", "tzid", "wanted"),
    [
        (CUSTOM_CET, (2031, 2032), "Customized Time Zone", ZoneMatch("Europe/Berlin", False)),
        # A city the TZID names comes first among the zones that agree.
        (CUSTOM_CET, (2031, 2031), "(UTC+01:00) Amsterdam, Berlin, Bern, Rome",
         ZoneMatch("Europe/Amsterdam", False)),
        # Windows' Brazil rules agree with São Paulo in 2017 (to the second: 23:59:59) ...
        (CUSTOM_BRASILIA, (2017, 2017), "(UTC-03:00) Brasília",
         ZoneMatch("America/Sao_Paulo", False)),
        # ... but not in 2018 (São Paulo moved its change to November) nor since 2019.
        (CUSTOM_BRASILIA, (2017, 2018), "(UTC-03:00) Brasília", ZoneMatch("", False)),
        (CUSTOM_BRASILIA, (2031, 2031), "(UTC-03:00) Brasília", ZoneMatch("", False)),
        (DATE_LINE, (2031, 2031), "(UTC-12:00) International Date Line West",
         ZoneMatch("Etc/GMT+12", True)),
        # No zone of the database is at UTC+01:30, and Etc/ zones are whole hours.
        (DATE_LINE.replace("-1200", "+0130"), (2031, 2031), "odd", ZoneMatch("", True)),
    ],
)  # fmt: skip
def test_a_files_own_zone_is_named_by_the_iana_zone_that_agrees(text, years, tzid, wanted):
    assert match_zone(zone(text), *years, tzid) == wanted


def test_zone_key_is_the_iana_name_or_nothing():
    assert zone_key(ZoneInfo("America/New_York")) == "America/New_York"
    assert zone_key(zone(CUSTOM_CET)) == zone_key(None) == ""
