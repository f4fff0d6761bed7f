"""The days off and make-up working days (调休) of a year, kept in the Holiday table.

Years covered by the ``chinese_calendar`` package come from the State Council's published
schedules and are official. Later years are estimated from the rules of the ``holidays``
package and are provisional (no make-up working days) until the official schedule is
imported with :func:`import_schedule`.

``ensure_year`` and ``import_schedule`` commit the session (commands); ``year_holidays`` and
``holidays_for_range`` only read, so checks may call them in the middle of a transaction.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path

import chinese_calendar
import holidays as holidays_lib
import sqlalchemy as sa
import yaml
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..errors import BadInput
from ..extensions import db
from .models import Holiday

SOURCE_OFFICIAL = "chinese_calendar"
SOURCE_RULES = "holidays"
IMPORT_PREFIX = "import:"

NAME_LENGTH = 80  # Holiday.name and Holiday.source are String(80)
MIN_YEAR, MAX_YEAR = 1, 9999

# chinese_calendar names holidays in English; the schedule is published with these names.
CHINESE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}
# Name of a make-up working day the rules source reports without naming it.
WORKDAY_NAME = "调休上班"

_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CSV_COLUMNS = ("date", "name", "type")
_CSV_TYPES = {"holiday": False, "workday": True}
_YAML_KEYS = {"year", "holidays", "workdays"}
_YAML_ENTRY_KEYS = {"date", "name"}
_MAX_REPORTED_ERRORS = 20


@dataclass(frozen=True)
class YearHolidays:
    """The statutory days off and the make-up working days of one year."""

    year: int
    official: bool  # True only if every day of the year comes from an official schedule
    days_off: dict[date, str] = field(default_factory=dict)
    workdays: dict[date, str] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, year: int, rows: list[Holiday]) -> "YearHolidays":
        return cls(
            year=year,
            official=bool(rows) and all(row.official for row in rows),
            days_off={row.day: row.name for row in rows if not row.is_workday},
            workdays={row.day: row.name for row in rows if row.is_workday},
        )

    def is_holiday(self, day: date) -> bool:
        """Whether ``day`` is a statutory holiday (a day off of the published schedule)."""
        return self._check(day) in self.days_off

    def is_day_off(self, day: date) -> bool:
        """A statutory holiday, or a Saturday or Sunday not turned into a working day."""
        day = self._check(day)
        if day in self.days_off:
            return True
        return day.weekday() >= 5 and day not in self.workdays

    def _check(self, day: date) -> date:
        # A datetime would silently never match: its local day is the caller's business.
        if isinstance(day, datetime) or not isinstance(day, date):
            raise TypeError(f"expected a date, got {type(day).__name__}")
        if day.year != self.year:
            raise ValueError(f"{day} is not in {self.year}")
        return day


def official_years() -> frozenset[int]:
    """The years the installed chinese_calendar has the published schedule of."""
    return frozenset(day.year for day in chinese_calendar.holidays)


def year_holidays(year: int) -> YearHolidays:
    """The year's days off and make-up working days, read-only: the stored rows when there
    are any (an imported schedule wins), else computed from the packages without storing.

    Conflict checks call this in the middle of a transaction, so it must never write.
    """
    _check_year(year)
    rows = _stored_rows(year)
    if rows and not (_is_provisional(rows) and year in official_years()):
        return YearHolidays.from_rows(year, rows)
    return _official_days(year) if year in official_years() else _rule_days(year)


def ensure_year(year: int) -> YearHolidays:
    """Store the year's days off and make-up working days when the table has none, and
    return them. Commits the session: call it from commands, not inside other work.

    Rows already stored for the year are kept as they are (an imported schedule is never
    overwritten), except that a provisional year is upgraded once chinese_calendar has it.
    """
    _check_year(year)
    rows = _stored_rows(year)
    upgrade = bool(rows) and _is_provisional(rows) and year in official_years()
    if rows and not upgrade:
        return YearHolidays.from_rows(year, rows)

    found = _official_days(year) if year in official_years() else _rule_days(year)
    if not found.days_off and not found.workdays:
        return found  # outside both packages' range: weekends only
    source = SOURCE_OFFICIAL if found.official else SOURCE_RULES
    if upgrade:
        db.session.execute(sa.delete(Holiday).where(Holiday.year == year))
    db.session.add_all(_new_rows(found, source))
    try:
        db.session.commit()
    except IntegrityError:
        # Another process filled the year at the same time: use what it stored.
        db.session.rollback()
        rows = _stored_rows(year)
        if not rows:
            raise
        return YearHolidays.from_rows(year, rows)
    return found


def holidays_for_range(first: date, last: date) -> dict[int, YearHolidays]:
    """``year_holidays`` for every year from ``first`` to ``last`` (empty if last < first)."""
    if last < first:
        return {}
    return {year: year_holidays(year) for year in range(first.year, last.year + 1)}


def import_schedule(
    path: str | Path, year: int | None = None, official: bool = True
) -> YearHolidays:
    """Replace the stored days of a year with a schedule, marked official (published by the
    State Council) or provisional (an estimate, shown as such until replaced).

    ``path`` is a CSV file (header ``date,name,type``, type ``holiday`` or ``workday``) or a
    YAML file (``year``, ``holidays`` and ``workdays`` lists of ``{date, name}``). The whole
    file is validated first; any problem raises BadInput and nothing is written. The year is
    taken from the dates when not given.
    """
    path = Path(path)
    if year is not None:
        _check_year(year)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        entries, declared = _read_csv(path), None
    elif suffix in (".yaml", ".yml"):
        entries, declared = _read_yaml(path)
    else:
        raise BadInput(_("%(file)s: use a .csv, .yaml or .yml file.", file=path.name), field="file")
    year = _validate(path.name, entries, year, declared)

    schedule = YearHolidays(
        year=year,
        official=official,
        days_off={e.day: e.name for e in entries if not e.is_workday},
        workdays={e.day: e.name for e in entries if e.is_workday},
    )
    first, last = date(year, 1, 1), date(year, 12, 31)
    try:
        db.session.execute(
            sa.delete(Holiday).where(sa.or_(Holiday.year == year, Holiday.day.between(first, last)))
        )
        db.session.add_all(_new_rows(schedule, (IMPORT_PREFIX + path.name)[:NAME_LENGTH]))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return schedule


# Sources


def _official_days(year: int) -> YearHolidays:
    return YearHolidays(
        year=year,
        official=True,
        days_off={
            d: _chinese_name(n) for d, n in chinese_calendar.holidays.items() if d.year == year
        },
        workdays={
            d: _chinese_name(n) for d, n in chinese_calendar.workdays.items() if d.year == year
        },
    )


def _chinese_name(english: str) -> str:
    if english in CHINESE_NAMES:
        return CHINESE_NAMES[english]
    try:
        return chinese_calendar.Holiday(english).chinese[:NAME_LENGTH]
    except (ValueError, AttributeError):
        return english[:NAME_LENGTH]


@cache  # tens of milliseconds per call, and every conflict check asks: once per year
def _rule_days(year: int) -> YearHolidays:
    calendar = holidays_lib.China(years=year, language="zh_CN")
    days_off = {
        day: "、".join(calendar.get_list(day))[:NAME_LENGTH]
        for day in sorted(calendar)
        if day.year == year
    }
    # Empty for the years the rules are used for; filled only for years already published.
    weekend_workdays = getattr(calendar, "weekend_workdays", ())
    workdays = {day: WORKDAY_NAME for day in sorted(weekend_workdays) if day.year == year}
    return YearHolidays(year=year, official=False, days_off=days_off, workdays=workdays)


# Storage


def _check_year(year: int) -> None:
    if isinstance(year, bool) or not isinstance(year, int):
        raise TypeError(f"year must be an int, got {type(year).__name__}")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year {year} is out of range")


def _stored_rows(year: int) -> list[Holiday]:
    query = sa.select(Holiday).where(Holiday.year == year).order_by(Holiday.day)
    return list(db.session.scalars(query))


def _is_provisional(rows: list[Holiday]) -> bool:
    return all(not row.official and row.source == SOURCE_RULES for row in rows)


def _new_rows(found: YearHolidays, source: str) -> list[Holiday]:
    rows = [
        Holiday(day=day, year=found.year, name=name, is_workday=False)
        for day, name in found.days_off.items()
    ]
    rows += [
        Holiday(day=day, year=found.year, name=name, is_workday=True)
        for day, name in found.workdays.items()
    ]
    for row in rows:
        row.official = found.official
        row.source = source
    return sorted(rows, key=lambda row: row.day)


# Reading an imported schedule


@dataclass(frozen=True)
class _Entry:
    day: date
    name: str
    is_workday: bool
    where: LazyString  # translated only when a problem is reported


class _Errors:
    """Collects the problems of a file so that all of them are reported at once."""

    def __init__(self, filename: str):
        self.filename = filename
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        self.messages.append(message)

    def raise_any(self) -> None:
        if not self.messages:
            return
        shown = self.messages[:_MAX_REPORTED_ERRORS]
        more = len(self.messages) - len(shown)
        if more:
            shown.append(_("… and %(count)s more problems.", count=more))
        header = _("%(file)s was not imported:", file=self.filename)
        raise BadInput("\n".join([header, *shown]), field="file")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(_("%(file)s is not UTF-8 text.", file=path.name), field="file") from None
    except OSError as exc:
        raise BadInput(
            _("Cannot read %(file)s: %(error)s", file=path.name, error=exc.strerror or str(exc)),
            field="file",
        ) from None


def _parse_date(value, where: LazyString, errors: _Errors) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE_PATTERN.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    if value is None or value == "":
        errors.add(_("%(where)s: the date is missing.", where=where))
    else:
        errors.add(
            _(
                "%(where)s: %(value)s is not a valid date (use YYYY-MM-DD).",
                where=where,
                value=value,
            )
        )
    return None


def _read_csv(path: Path) -> list[_Entry]:
    errors = _Errors(path.name)
    reader = csv.reader(io.StringIO(_read_text(path)))
    header = None
    entries = []
    for cells in reader:
        cells = [cell.strip() for cell in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue  # blank lines and comments
        where = _l("line %(number)s", number=reader.line_num)
        if header is None:
            header = [cell.lower() for cell in cells]
            if sorted(header) != sorted(_CSV_COLUMNS):
                errors.add(
                    _(
                        "%(where)s: the header must be date,name,type, not %(header)s.",
                        where=where,
                        header=",".join(cells),
                    )
                )
                errors.raise_any()
            continue
        if len(cells) != len(header):
            errors.add(
                _(
                    "%(where)s: expected 3 columns (date,name,type), found %(count)s.",
                    where=where,
                    count=len(cells),
                )
            )
            continue
        row = dict(zip(header, cells, strict=True))
        kind = row["type"].lower()
        if kind not in _CSV_TYPES:
            errors.add(
                _(
                    '%(where)s: the type must be "holiday" or "workday", not "%(type)s".',
                    where=where,
                    type=row["type"],
                )
            )
        day = _parse_date(row["date"], where, errors)
        if day is not None:
            entries.append(_Entry(day, row["name"], _CSV_TYPES.get(kind, False), where))
    errors.raise_any()
    return entries


class _YamlLoader(yaml.SafeLoader):
    """Safe loading that leaves dates as text, so that they are checked like CSV dates."""


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(path: Path) -> tuple[list[_Entry], int | None]:
    errors = _Errors(path.name)
    try:
        data = yaml.load(_read_text(path), Loader=_YamlLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise BadInput(
            _("%(file)s is not valid YAML: %(error)s", file=path.name, error=str(exc)),
            field="file",
        ) from None
    if data is None:
        return [], None
    if not isinstance(data, dict):
        errors.add(_("The file must be a mapping with the keys year, holidays and workdays."))
        errors.raise_any()
    unknown = sorted(str(key) for key in data if key not in _YAML_KEYS)
    if unknown:
        errors.add(
            _("Unknown keys %(keys)s; use year, holidays and workdays.", keys=", ".join(unknown))
        )
    declared = data.get("year")
    if declared is not None and (isinstance(declared, bool) or not isinstance(declared, int)):
        errors.add(_("year must be a number such as 2027, not %(value)s.", value=declared))
        declared = None

    entries = []
    for key, is_workday in (("holidays", False), ("workdays", True)):
        items = data.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            errors.add(_("%(key)s must be a list of {date, name} entries.", key=key))
            continue
        for number, item in enumerate(items, start=1):
            where = _l("%(key)s entry %(number)s", key=key, number=number)
            if not isinstance(item, dict):
                errors.add(_("%(where)s: expected {date: ..., name: ...}.", where=where))
                continue
            unknown = sorted(str(k) for k in item if k not in _YAML_ENTRY_KEYS)
            if unknown:
                errors.add(
                    _(
                        "%(where)s: unknown keys %(keys)s; use date and name.",
                        where=where,
                        keys=", ".join(unknown),
                    )
                )
            name = item.get("name", "")
            if name is None:
                name = ""
            if not isinstance(name, str):
                errors.add(_("%(where)s: the name must be text.", where=where))
                name = str(name)
            day = _parse_date(item.get("date"), where, errors)
            if day is not None:
                entries.append(_Entry(day, name.strip(), is_workday, where))
    errors.raise_any()
    return entries, declared


def _validate(filename: str, entries: list[_Entry], year: int | None, declared: int | None) -> int:
    """Check the entries as a whole and return the year they are for."""
    errors = _Errors(filename)
    if not entries:
        errors.add(_("The file lists no days."))
        errors.raise_any()
    if year is not None and declared is not None and year != declared:
        errors.add(_("The file is for %(declared)s, not %(year)s.", declared=declared, year=year))
        errors.raise_any()
    year = year if year is not None else declared
    if year is None:
        years = sorted({entry.day.year for entry in entries})
        if len(years) > 1:
            errors.add(
                _(
                    "The dates are in several years (%(years)s); import one year at a time.",
                    years=", ".join(map(str, years)),
                )
            )
            errors.raise_any()
        year = years[0]

    seen: dict[date, LazyString] = {}
    for entry in entries:
        day, where = entry.day, entry.where
        if day.year != year:
            errors.add(_("%(where)s: %(day)s is not in %(year)s.", where=where, day=day, year=year))
        if day in seen:
            errors.add(
                _(
                    "%(where)s: %(day)s is listed twice (also at %(first)s).",
                    where=where,
                    day=day,
                    first=seen[day],
                )
            )
        else:
            seen[day] = where
        if entry.is_workday and day.weekday() < 5:
            errors.add(
                _(
                    "%(where)s: %(day)s is not a Saturday or Sunday, so it cannot be a make-up "
                    "working day.",
                    where=where,
                    day=day,
                )
            )
        if len(entry.name) > NAME_LENGTH:
            errors.add(
                _(
                    "%(where)s: the name is longer than %(max)s characters.",
                    where=where,
                    max=NAME_LENGTH,
                )
            )
    errors.raise_any()
    return year
