"""The annual evaluation exports: one table per report (societies, series, sessions) as CSV,
or all of them as sheets of one Excel workbook (openpyxl).

Rows are built once from the service's aggregates (``report_tables``); CSV and Excel only
differ in how cells are written. Column headers are translated; the first column is always
a stable slug so that spreadsheets can be joined year to year.
"""

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _

from ..enums import EventKind
from ..timeutil import to_local
from . import figures, service

CSV_REPORTS = ("societies", "series", "sessions")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))
# Text that a spreadsheet would run as a formula (CSV injection): names and titles come from
# societies, so such cells get a leading apostrophe in CSV (OWASP) and are stored as text
# with Excel's quote prefix in the workbook.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    name: str  # the report's key: societies, series, sessions
    title: str
    headers: list[str]
    rows: list[list]


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _local_day(value: datetime | None):
    return to_local(value).date() if value else None


def societies_table(figures: list[figures.SocietyYear]) -> Table:
    kinds = list(EventKind)
    headers = [
        _("Slug"),
        _("Society"),
        _("Kind"),
        _("City"),
        _("Active"),
        _("Yearly minimum"),
        _("Hosted (approved sessions)"),
        _("Minimum met"),
        _("Held"),
        _("Planned"),
        *[_("Hosted: %(kind)s", kind=k.label) for k in kinds],
        _("Co-hosted (approved sessions)"),
        *[_("Co-hosted: %(kind)s", kind=k.label) for k in kinds],
        _("Major events filed on time"),
        _("Major events filed late"),
        _("Major events not filed"),
        _("Cancelled sessions"),
        _("Recorded attendance"),
        _("Events with attendance recorded"),
        _("Last held session"),
        _("Dormant"),
    ]
    rows = [
        [
            f.society.slug,
            f.society.name,
            str(f.society.kind.label),
            f.society.city,
            _yes_no(f.society.active),
            f.society.min_events_per_year,
            f.hosted,
            _yes_no(f.meets_minimum),
            f.held,
            f.planned,
            *[f.hosted_by_kind.get(k, 0) for k in kinds],
            f.cohosted,
            *[f.cohosted_by_kind.get(k, 0) for k in kinds],
            f.major_on_time,
            f.major_late,
            f.major_unfiled,
            f.cancelled,
            f.attendance,
            f.attendance_events,
            _local_day(f.last_held),
            _yes_no(f.dormant),
        ]
        for f in figures
    ]
    return Table("societies", _("Societies"), headers, rows)


def series_table(progress: list[figures.SeriesProgress], months: list[str]) -> Table:
    headers = [
        _("Slug"),
        _("Series"),
        _("Annual minimum"),
        _("Annual maximum"),
        _("Maximum per host"),
        _("Held"),
        _("Approved"),
        _("Planned"),
        _("Projection (held + planned)"),
        _("Status"),
        _("Hosts this year"),
        *months,
    ]
    rows = [
        [
            p.series.slug,
            p.series.name,
            p.series.target_min,
            p.series.target_max,
            p.series.max_per_host,
            p.held,
            p.approved,
            p.planned,
            p.projected,
            str(figures.PROGRESS_LABELS[p.status]),
            len(p.hosts),
            *[m.counted for m in p.months],
        ]
        for p in progress
    ]
    return Table("series", _("Series"), headers, rows)


def sessions_table(progress: list[figures.SeriesProgress]) -> Table:
    headers = [
        _("Series"),
        _("Date"),
        _("Event"),
        _("Host"),
        _("Host slug"),
        _("Status"),
        _("Held"),
        _("Cancelled"),
    ]
    rows = [
        [
            p.series.slug,
            _local_day(s.start),
            s.title,
            s.host.name,
            s.host.slug,
            str(s.status.label),
            _yes_no(s.held),
            _yes_no(s.cancelled),
        ]
        for p in progress
        for s in p.sessions
    ]
    return Table("sessions", _("Sessions"), headers, rows)


def report_tables(year: int, now: datetime) -> list[Table]:
    data = service.build_dashboard(year, now, with_campaigns=False)
    return [
        societies_table(data.societies),
        series_table(data.series, service.month_labels()),
        sessions_table(data.series),
    ]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def build_csv(year: int, now: datetime, report: str = "societies") -> bytes:
    """One report as UTF-8 CSV with a byte-order mark, so Excel shows Chinese correctly."""
    table = next(t for t in report_tables(year, now) if t.name == report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.headers)
    writer.writerows([_csv_cell(v) for v in row] for row in table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(value) -> str:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return _cell_text(value)


def build_xlsx(year: int, now: datetime) -> bytes:
    """Every report as a sheet (in CSV_REPORTS order), a progress chart, and a notes sheet."""
    from openpyxl import Workbook  # loaded when a workbook is asked for (with numpy, ~0.3 s)

    book = Workbook()
    book.remove(book.active)
    tables = report_tables(year, now)
    for table in tables:
        _write_sheet(book, table)
    _add_progress_chart(book.worksheets[1], len(tables[1].rows))
    _write_notes(book, year, now)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_sheet(book, table: Table) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(table.title.translate(SHEET_NAME_FORBIDDEN)[:31])
    sheet.append(table.headers)
    for row in table.rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                cell.data_type, cell.quotePrefix = "s", True
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "C2"
    if table.rows:
        sheet.auto_filter.ref = sheet.dimensions
    for index, header in enumerate(table.headers, start=1):
        values = [header, *(_cell_text(r[index - 1]) for r in table.rows[:200])]
        width = min(40, max(8, *(_display_width(v) for v in values)))
        sheet.column_dimensions[get_column_letter(index)].width = width + 2
        if table.rows and hasattr(table.rows[0][index - 1], "isoformat"):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "yyyy-mm-dd"


def _display_width(text: str) -> int:
    """East Asian characters take two columns in a spreadsheet."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _add_progress_chart(sheet, rows: int) -> None:
    from openpyxl.chart import BarChart, Reference

    if not rows:
        return
    chart = BarChart()
    chart.type = "bar"
    chart.title = _("Sessions against the annual minimum")
    chart.height, chart.width = max(6, rows * 1.2), 18
    # Columns: C annual minimum, F held, H planned.
    for col in (3, 6, 8):
        chart.add_data(
            Reference(sheet, min_col=col, min_row=1, max_row=rows + 1), titles_from_data=True
        )
    chart.set_categories(Reference(sheet, min_col=2, min_row=2, max_row=rows + 1))
    sheet.add_chart(chart, f"A{rows + 4}")


def _write_notes(book, year: int, now: datetime) -> None:
    from openpyxl.styles import Font

    sheet = book.create_sheet(_("Notes").translate(SHEET_NAME_FORBIDDEN)[:31])
    lines = [
        _("Annual evaluation %(year)s", year=year),
        _("Generated %(at)s", at=to_local(now).strftime("%Y-%m-%d %H:%M")),
        "",
        _(
            "Every figure counts sessions: a recurring event counts once per occurrence, in the "
            "local year in which the occurrence starts."
        ),
        _(
            "Cancelled, rejected and withdrawn sessions do not count (cancellations are listed "
            "separately)."
        ),
        _(
            "Held: approved and ended, or completed. Planned: draft, submitted, sent back for "
            "changes or approved, and not yet ended. Hosted: approved or completed."
        ),
        _(
            "A major event is filed late when it was last submitted less than "
            "%(days)s days before it starts.",
            days=current_app.config["FILING_LEAD_DAYS"],
        ),
        _(
            "Dormant: no held session in any role (host, co-host or organizer) in the last "
            "twelve months and none planned (as of the generation time)."
        ),
    ]
    for line in lines:
        sheet.append([line])
    sheet["A1"].font = Font(bold=True)
    sheet.column_dimensions["A"].width = 120
