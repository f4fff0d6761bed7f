"""Holidays: official years from chinese_calendar, provisional years from the rules of the
holidays package, and importing an officially published schedule."""

from datetime import date, datetime
from pathlib import Path

import chinese_calendar
import pytest
import sqlalchemy as sa

from scheduler.errors import BadInput
from scheduler.extensions import db
from scheduler.holidays import service
from scheduler.holidays.models import Holiday
from scheduler.holidays.service import (
    YearHolidays,
    ensure_year,
    holidays_for_range,
    import_schedule,
    official_years,
)

EXAMPLE_CSV = Path(__file__).resolve().parents[2] / "docs" / "holidays-example.csv"
PROVISIONAL = 2027


@pytest.fixture(autouse=True)
def provisional_year_is_not_covered():
    assert PROVISIONAL not in official_years(), (
        f"chinesecalendar now covers {PROVISIONAL}: use a later year for the provisional tests"
    )


def stored_rows():
    columns = (Holiday.day, Holiday.year, Holiday.name, Holiday.is_workday)
    query = sa.select(*columns, Holiday.official, Holiday.source).order_by(Holiday.day)
    return [tuple(row) for row in db.session.execute(query)]


def row_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Holiday))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- official and provisional years -----------------------------------------------------


def test_official_years_come_from_the_package_data():
    years = official_years()
    assert min(years) == 2004
    assert max(years) == max(chinese_calendar.holidays).year
    assert years == frozenset(range(2004, max(years) + 1))


def test_2025_is_official_with_make_up_working_days(app):
    year = ensure_year(2025)

    assert year.year == 2025 and year.official
    assert year.days_off[date(2025, 10, 1)] == "国庆节"
    assert year.days_off[date(2025, 10, 6)] == "中秋节"
    assert year.days_off[date(2025, 1, 28)] == "春节"
    assert year.days_off[date(2025, 4, 4)] == "清明节"
    assert year.is_holiday(date(2025, 10, 1)) and year.is_day_off(date(2025, 10, 1))

    saturday_at_work = date(2025, 10, 11)
    assert year.workdays[saturday_at_work] == "国庆节"
    assert not year.is_day_off(saturday_at_work)
    assert not year.is_holiday(saturday_at_work)
    assert len(year.workdays) == 5

    assert year.is_day_off(date(2025, 10, 18))  # an ordinary Saturday
    assert not year.is_holiday(date(2025, 10, 18))
    assert not year.is_day_off(date(2025, 10, 13))  # an ordinary Monday

    rows = stored_rows()
    assert len(rows) == len(year.days_off) + len(year.workdays) == 33
    assert {(r[1], r[4], r[5]) for r in rows} == {(2025, True, "chinese_calendar")}
    assert {r[2] for r in rows} <= set(service.CHINESE_NAMES.values())


def test_all_official_names_are_chinese(app):
    for english in set(chinese_calendar.holidays.values()) | set(
        chinese_calendar.workdays.values()
    ):
        assert english in service.CHINESE_NAMES, english
    assert ensure_year(2015).days_off[date(2015, 9, 3)] == "抗战胜利纪念日"


def test_later_years_are_provisional_without_make_up_working_days(app):
    year = ensure_year(PROVISIONAL)

    assert not year.official
    assert year.workdays == {}
    assert year.is_day_off(date(2027, 10, 1)) and year.is_holiday(date(2027, 10, 1))
    assert year.days_off[date(2027, 10, 1)] == "国庆节"
    assert year.days_off[date(2027, 1, 1)] == "元旦"
    rows = stored_rows()
    assert rows and {(r[1], r[3], r[4], r[5]) for r in rows} == {(2027, False, False, "holidays")}


def test_ensure_year_is_idempotent(app):
    first = [ensure_year(2025), ensure_year(PROVISIONAL)]
    count, rows = row_count(), stored_rows()

    again = [ensure_year(2025), ensure_year(PROVISIONAL)]

    assert again == first
    assert row_count() == count
    assert stored_rows() == rows


def test_stored_rows_are_left_alone(app):
    db.session.add(
        Holiday(day=date(2025, 3, 3), year=2025, name="自定", official=True, source="manual")
    )
    db.session.commit()

    year = ensure_year(2025)

    assert year.days_off == {date(2025, 3, 3): "自定"}
    assert year.official
    assert row_count() == 1


def test_a_provisional_year_becomes_official_once_the_package_covers_it(app, monkeypatch):
    monkeypatch.setattr(service, "official_years", lambda: frozenset())
    assert not ensure_year(2025).official
    monkeypatch.undo()

    year = ensure_year(2025)

    assert year.official and date(2025, 10, 11) in year.workdays
    assert {r[5] for r in stored_rows()} == {"chinese_calendar"}


def test_holidays_for_range_covers_every_year_touched(app):
    years = holidays_for_range(date(2025, 12, 20), date(2027, 1, 10))

    assert list(years) == [2025, 2026, 2027]
    assert [y.official for y in years.values()] == [True, True, False]
    assert not years[2026].is_day_off(date(2026, 1, 4))  # a Sunday worked for New Year
    assert holidays_for_range(date(2025, 2, 1), date(2025, 1, 1)) == {}


def test_day_checks_refuse_days_of_other_years_and_datetimes():
    year = YearHolidays(year=2025, official=True, days_off={}, workdays={})
    with pytest.raises(ValueError):
        year.is_day_off(date(2026, 1, 1))
    with pytest.raises(TypeError):
        year.is_holiday(datetime(2025, 1, 1, 12))


# --- importing a published schedule -----------------------------------------------------

CSV_2027 = """\
date,name,type
2027-01-01,元旦,holiday
2027-02-06,春节,holiday
2027-02-07,春节,holiday
2027-02-08,春节,holiday
2027-02-09,春节,holiday
2027-02-20,春节,workday
2027-10-01,国庆节,holiday
"""

YAML_2027 = """\
year: 2027
holidays:
  - {date: 2027-01-01, name: 元旦}
  - date: 2027-10-01
    name: 国庆节
  - {date: "2027-10-02", name: 国庆节}
workdays:
  - {date: 2027-10-09, name: 国庆节}
"""


def test_import_csv_replaces_the_provisional_year(app, tmp_path):
    ensure_year(PROVISIONAL)
    assert date(2027, 9, 15) in ensure_year(PROVISIONAL).days_off  # the rules' 中秋节
    path = write(tmp_path, "schedule-2027.csv", CSV_2027)

    year = import_schedule(path)

    assert year.year == 2027 and year.official
    assert year.workdays == {date(2027, 2, 20): "春节"}
    assert len(year.days_off) == 6
    assert not year.is_day_off(date(2027, 2, 20))
    rows = stored_rows()
    assert len(rows) == 7
    assert {(r[1], r[4], r[5]) for r in rows} == {(2027, True, "import:schedule-2027.csv")}
    # The imported schedule is what ensure_year returns from now on.
    assert ensure_year(PROVISIONAL) == year
    assert row_count() == 7


def test_import_leaves_other_years_alone(app, tmp_path):
    ensure_year(2025)
    before = row_count()

    import_schedule(write(tmp_path, "s.csv", CSV_2027))

    assert row_count() == before + 7
    assert ensure_year(2025).official


def test_import_yaml(app, tmp_path):
    ensure_year(PROVISIONAL)

    year = import_schedule(write(tmp_path, "2027.yaml", YAML_2027), year=2027)

    assert year.official
    assert year.days_off == {
        date(2027, 1, 1): "元旦",
        date(2027, 10, 1): "国庆节",
        date(2027, 10, 2): "国庆节",
    }
    assert year.workdays == {date(2027, 10, 9): "国庆节"}
    assert {r[5] for r in stored_rows()} == {"import:2027.yaml"}
    assert ensure_year(PROVISIONAL) == year


def test_the_documented_example_file_is_valid(app):
    year = import_schedule(EXAMPLE_CSV)
    assert year.year == 2027 and len(year.days_off) == 4 and len(year.workdays) == 1


# name: (file name, contents, year passed to import_schedule, part of the message)
BAD_FILES = {
    "bad date": ("s.csv", "date,name,type\n2027-02-30,春节,holiday\n", None, "not a valid date"),
    "unknown type": ("s.csv", "date,name,type\n2027-01-01,元旦,vacation\n", None, '"workday"'),
    "wrong year": ("s.csv", "date,name,type\n2028-01-01,元旦,holiday\n", 2027, "not in 2027"),
    "mixed years": (
        "s.csv",
        "date,name,type\n2027-01-01,元旦,holiday\n2028-01-01,元旦,holiday\n",
        None,
        "several years",
    ),
    "duplicate": (
        "s.csv",
        "date,name,type\n2027-01-01,元旦,holiday\n2027-01-01,元旦,workday\n",
        None,
        "listed twice",
    ),
    "empty csv": ("s.csv", "", None, "no days"),
    "header only": ("s.csv", "date,name,type\n", None, "no days"),
    "bad header": ("s.csv", "day,name,kind\n2027-01-01,元旦,holiday\n", None, "header"),
    "missing column": ("s.csv", "date,name,type\n2027-01-01,holiday\n", None, "3 columns"),
    "weekday workday": ("s.csv", "date,name,type\n2027-02-22,春节,workday\n", None, "Saturday"),
    "long name": ("s.csv", f"date,name,type\n2027-01-01,{'长' * 81},holiday\n", None, "80"),
    "empty yaml": ("s.yaml", "", None, "no days"),
    "yaml bad date": ("s.yaml", "holidays:\n  - {date: 2027-13-01, name: x}\n", None, "valid date"),
    "yaml year differs": (
        "s.yaml",
        "year: 2026\nholidays:\n  - {date: 2027-01-01}\n",
        None,
        "2026",
    ),
    "yaml year vs argument": (
        "s.yaml",
        "year: 2027\nholidays:\n  - {date: 2027-01-01}\n",
        2028,
        "2028",
    ),
    "yaml not a list": ("s.yaml", "holidays: 2027-01-01\n", None, "list"),
    "yaml unknown key": ("s.yaml", "holiday:\n  - {date: 2027-01-01}\n", None, "Unknown keys"),
    "yaml datetime": ("s.yaml", "holidays:\n  - {date: 2027-01-01 08:00:00}\n", None, "valid date"),
    "not yaml": ("s.yaml", "holidays: [\n", None, "not valid YAML"),
    "other format": ("s.txt", "2027-01-01", None, ".csv"),
    "missing file": (None, "", None, "Cannot read"),
}


@pytest.mark.parametrize(
    ("name", "text", "year", "message"), list(BAD_FILES.values()), ids=list(BAD_FILES)
)
def test_bad_files_are_refused_and_nothing_changes(app, tmp_path, name, text, year, message):
    ensure_year(PROVISIONAL)
    before = stored_rows()
    path = write(tmp_path, name, text) if name else tmp_path / "missing.csv"

    # A request context so the message comes out in English.
    with app.test_request_context("/?lang=en"), pytest.raises(BadInput) as caught:
        import_schedule(path, year=year)

    assert message in caught.value.message
    assert stored_rows() == before


def test_all_problems_are_reported_at_once(app, tmp_path):
    text = "date,name,type\n2027-02-30,a,holiday\n2027-01-01,b,nap\n"
    with app.test_request_context("/?lang=en"), pytest.raises(BadInput) as caught:
        import_schedule(write(tmp_path, "s.csv", text))
    assert "line 2" in caught.value.message and "line 3" in caught.value.message


def test_a_database_error_writes_nothing(app, tmp_path, monkeypatch):
    ensure_year(PROVISIONAL)
    before = stored_rows()
    real_new_rows = service._new_rows

    def duplicated(found, source):
        rows = real_new_rows(found, source)
        twin = rows[0]
        return [*rows, Holiday(day=twin.day, year=twin.year, name="x", source=source)]

    monkeypatch.setattr(service, "_new_rows", duplicated)
    with pytest.raises(sa.exc.IntegrityError):
        import_schedule(write(tmp_path, "s.csv", CSV_2027))

    assert stored_rows() == before


def test_bad_input_outside_a_request(app, tmp_path):
    with pytest.raises(BadInput):
        import_schedule(write(tmp_path, "s.csv", ""))


def test_reading_a_year_never_writes(app):
    from scheduler.holidays.service import year_holidays

    provisional = year_holidays(PROVISIONAL)
    official = year_holidays(2025)
    assert not provisional.official and official.official
    assert date(2025, 10, 11) in official.workdays
    assert row_count() == 0
    # once stored (e.g. imported), the stored rows are what reading returns
    ensure_year(PROVISIONAL)
    assert year_holidays(PROVISIONAL) == ensure_year(PROVISIONAL)
