"""Blank import templates: an .xlsx workbook with one sheet per kind, or one CSV per kind,
each with the Chinese headers the reader knows and one example row."""

import csv
import io

from .reader import HEADERS, KINDS, SHEET_NAMES, SLUG_HEADERS

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# One example row per kind (an association unlike the demo's), in the template's column order.
EXAMPLES = {
    "societies": {
        "slug": "yc-physics", "name": "宜昌市物理学会", "short_name": "宜昌物理",
        "kind": "市级科协", "discipline": "物理", "city": "宜昌", "contact_name": "周老师",
        "contact_phone": "0717-1234567", "contact_email": "physics@yc.example.org",
        "min_events_per_year": 2, "active": "是",
    },
    "venues": {
        "slug": "yc-science-hall", "name": "宜昌科技馆报告厅", "address": "宜昌市西陵区示例路 1 号",
        "city": "宜昌", "capacity": 300, "latitude": 30.69, "longitude": 111.28,
        "buffer_minutes": 30, "is_online": "否", "stream_url": "", "active": "是",
    },
    "people": {
        "slug": "", "name": "陈教授", "title": "教授", "affiliation": "三峡大学",
        "scarce": "否", "monthly_limit": "", "active": "是",
    },
    "users": {"email": "editor@yc.example.org", "name": "周老师", "role": "学会编辑",
              "society": "yc-physics", "locale": "zh_CN"},
}  # fmt: skip


def columns(kind: str) -> list[tuple[str, str]]:
    """(field, Chinese header) in the template's order: the slug first, where there is one."""
    fields = list(HEADERS[kind].items())
    return fields if kind == "users" else [("slug", SLUG_HEADERS[0]), *fields]


def _rows(kind: str) -> list[list]:
    cols = columns(kind)
    return [[header for _f, header in cols], [EXAMPLES[kind].get(f, "") for f, _h in cols]]


def template_csv(kind: str) -> bytes:
    """UTF-8 with a BOM, so that Excel on Chinese Windows opens it right."""
    out = io.StringIO(newline="")
    csv.writer(out).writerows(_rows(kind))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    from openpyxl import Workbook  # loaded when a blank workbook is asked for
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for kind in KINDS:
        sheet = book.create_sheet(SHEET_NAMES[kind][0])
        for row in _rows(kind):
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for letter in "ABCDEFGHIJKL":
            sheet.column_dimensions[letter].width = 16
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
