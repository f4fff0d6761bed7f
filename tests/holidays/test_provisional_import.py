"""import-holidays marks the year official or provisional as the user says, and the calendar,
the checks and `holidays --year` report it so."""

from datetime import date

import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.holidays.models import Holiday
from scheduler.holidays.service import ensure_year, year_holidays

# A year the packages know nothing official of, with names unlike the built-in ones.
SCHEDULE = """date,name,type
2033-01-01,元旦,holiday
2033-01-30,春节（预估）,holiday
2033-01-31,春节（预估）,holiday
2033-02-01,春节（预估）,holiday
2033-02-05,春节调休,workday
2033-10-01,国庆节（预估）,holiday
"""


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.remove()
    return result


def flags() -> set[tuple[bool, str]]:
    return set(db.session.execute(sa.select(Holiday.official, Holiday.source).distinct()).all())


def test_a_provisional_import_stays_provisional_until_an_official_one(app, tmp_path):
    path = tmp_path / "estimate-2033.csv"
    path.write_text(SCHEDULE, encoding="utf-8")

    made = run(app, "import-holidays", str(path), "--provisional")
    assert made.exit_code == 0, made.output
    assert "2033: 5 days off and 1 make-up working days imported (PROVISIONAL)" in made.output
    assert flags() == {(False, "import:estimate-2033.csv")}
    year = year_holidays(2033)
    assert not year.official and year.is_holiday(date(2033, 1, 31))
    assert not year.is_day_off(date(2033, 2, 5))  # the make-up working day was kept
    shown = run(app, "holidays", "--year", "2033")
    assert shown.exit_code == 0 and "2033: PROVISIONAL" in shown.output
    assert "春节（预估）" in shown.output
    # Storing the year again keeps the user's provisional schedule (no rule-based overwrite).
    assert not ensure_year(2033).official and flags() == {(False, "import:estimate-2033.csv")}

    official = run(app, "import-holidays", str(path), "--official")
    assert official.exit_code == 0 and "(official)" in official.output
    assert flags() == {(True, "import:estimate-2033.csv")} and year_holidays(2033).official
    assert "2033: official" in run(app, "holidays", "--year", "2033").output


def test_without_a_flag_the_import_is_official_as_before(app, tmp_path):
    path = tmp_path / "published.csv"
    path.write_text(SCHEDULE, encoding="utf-8")
    assert "(official)" in run(app, "import-holidays", str(path)).output
    assert year_holidays(2033).official


def test_a_bad_file_is_refused_with_either_flag_and_changes_nothing(app, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(SCHEDULE + "2033-13-01,不存在,holiday\n", encoding="utf-8")
    for flag in ("--provisional", "--official"):
        result = run(app, "import-holidays", str(path), flag)
        assert result.exit_code == 1 and "bad.csv" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Holiday)) == 0
