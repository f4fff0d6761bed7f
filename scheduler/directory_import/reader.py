"""Spreadsheets to rows: an .xlsx workbook (one sheet per kind) or one CSV file of one kind,
with Chinese or English headers. Cells are read as they are written: a formula stays its
text (``=1+1``) and is never evaluated. No database, no Flask request."""

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from flask_babel import gettext as _

from ..errors import BadInput

KINDS = ("societies", "venues", "people", "users")
MAX_COLUMNS = 40
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # what an .xlsx may inflate to
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls

# Sheet (or CSV file) names per kind, and the Chinese header of each field (the templates
# write these). English field names are accepted too.
SHEET_NAMES = {
    "societies": ("学会", "societies", "society"),
    "venues": ("场馆", "venues", "venue"),
    "people": ("专家", "people", "person", "experts", "speakers", "人员"),
    "users": ("用户", "users", "user", "账号"),
}
SLUG_HEADERS = ("标识", "代码")
HEADERS = {
    "societies": {
        "name": "名称", "short_name": "简称", "kind": "类型", "discipline": "学科",
        "city": "城市", "contact_name": "联系人", "contact_phone": "联系电话",
        "contact_email": "联系邮箱", "min_events_per_year": "年度最少活动数", "active": "启用",
    },
    "venues": {
        "name": "名称", "address": "地址", "city": "城市", "capacity": "容纳人数",
        "latitude": "纬度", "longitude": "经度", "buffer_minutes": "间隔分钟",
        "is_online": "线上", "stream_url": "直播地址", "active": "启用",
    },
    "people": {
        "name": "姓名", "title": "职称", "affiliation": "单位", "scarce": "稀缺专家",
        "monthly_limit": "每月上限", "active": "启用",
    },
    "users": {"email": "邮箱", "name": "姓名", "role": "角色", "society": "学会", "locale": "语言"},
}  # fmt: skip
# Other spellings people write in the header row.
ALIASES = {
    "societies": {"联系手机": "contact_phone", "电话": "contact_phone", "邮箱": "contact_email"},
    "venues": {"容量": "capacity", "缓冲分钟": "buffer_minutes", "是否线上": "is_online"},
    "people": {"名称": "name", "工作单位": "affiliation", "所在单位": "affiliation"},
    "users": {"电子邮箱": "email", "所属学会": "society", "society_slug": "society"},
}
# Columns for the reader's own notes, never imported.
IGNORED_HEADERS = ("备注", "说明", "notes", "note", "remarks", "comment", "comments")
# Role words of the users sheet that are not the role's label.
ROLE_WORDS = {"组织者": "organizer", "管理员": "organizer", "编辑": "editor", "学会编辑": "editor"}


@dataclass
class Row:
    number: int  # the spreadsheet's row number (the header is row 1)
    values: dict[str, Any]  # field -> cell; empty cells are left out (default / unchanged)


@dataclass
class Sheet:
    kind: str
    name: str  # the sheet or file, as the report names it
    rows: list[Row] = field(default_factory=list)


def _normalize(header) -> str:
    """ "名称（必填）" and "Short name" become "名称" and "short_name"."""
    text = str(header or "").strip().lstrip("\ufeff")
    text = re.split(r"[（(]", text, maxsplit=1)[0].strip()
    return re.sub(r"[\s\-]+", "_", text).lower()


def _columns(kind: str) -> dict[str, str]:
    """Every accepted header (normalized) -> field of ``kind``."""
    names = {field: field for field in HEADERS[kind]}
    names |= {_normalize(zh): field for field, zh in HEADERS[kind].items()}
    names |= {_normalize(alias): field for alias, field in ALIASES[kind].items()}
    if kind != "users":
        names |= {"slug": "slug"} | dict.fromkeys(SLUG_HEADERS, "slug")
    return names


def kind_of_name(name: str) -> str | None:
    """The kind a sheet or file name says (学会, venues.csv, 2027-专家 ...), or None."""
    stem = _normalize(re.sub(r"\.(csv|xlsx)$", "", name.strip(), flags=re.IGNORECASE))
    for kind, names in SHEET_NAMES.items():
        if any(stem == n or stem.endswith(f"_{n}") or stem.startswith(f"{n}_") for n in names):
            return kind
    # 广州学会名录, 2027年专家: the one Chinese name the stem holds.
    held = [kind for kind, names in SHEET_NAMES.items() if names[0] in stem]
    return held[0] if len(held) == 1 else None


def _kind_of_headers(headers: list[str]) -> str | None:
    """The one kind whose columns include every header given, else None."""
    wanted = [h for h in map(_normalize, headers) if h and h not in IGNORED_HEADERS]
    fits = [k for k in KINDS if wanted and all(h in _columns(k) for h in wanted)]
    return fits[0] if len(fits) == 1 else None


def _cell(value) -> Any:
    """A cell as the services take it: text stays text (a formula too), 3.0 becomes 3."""
    if value is None:
        return None
    if hasattr(value, "text") and not isinstance(value, str):  # openpyxl's ArrayFormula
        return str(value.text)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, str):
        return value if value.strip() else None
    return value


def _sheet(kind: str, name: str, table: list[list], max_rows: int) -> Sheet:
    """Rows of one sheet under its header row; a header nobody knows is refused."""
    if not table:
        return Sheet(kind, name)
    columns = _columns(kind)
    fields: list[str | None] = []
    for header in table[0][:MAX_COLUMNS]:
        key = _normalize(header)
        if not key or key in IGNORED_HEADERS:
            fields.append(None)
        elif key in columns:
            fields.append(columns[key])
        else:
            allowed = "、".join(HEADERS[kind].values())
            raise BadInput(
                _("%(sheet)s: unknown column “%(column)s”. Use the template's columns: "
                  "%(allowed)s (or the English field names).",
                  sheet=name, column=str(header).strip(), allowed=allowed),
                field="file",
            )  # fmt: skip
    taken = [f for f in fields if f]
    if len(taken) != len(set(taken)):
        twice = sorted({f for f in taken if taken.count(f) > 1})
        raise BadInput(
            _("%(sheet)s: the column %(column)s appears twice.", sheet=name, column=twice[0]),
            field="file",
        )
    sheet = Sheet(kind, name)
    for number, cells in enumerate(table[1:], start=2):
        values = {f: _cell(v) for f, v in zip(fields, cells, strict=False) if f}
        values = {f: v for f, v in values.items() if v is not None}
        if not values:
            continue  # a blank line
        if len(sheet.rows) >= max_rows:
            raise BadInput(
                _("%(sheet)s has more than %(limit)s rows; split the file.", sheet=name,
                  limit=max_rows),
                field="file",
            )  # fmt: skip
        if kind == "users" and isinstance(values.get("role"), str):
            values["role"] = ROLE_WORDS.get(values["role"].strip(), values["role"])
        sheet.rows.append(Row(number, values))
    return sheet


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (what Excel writes on Chinese Windows)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BadInput(_("The CSV file is neither UTF-8 nor GB18030 text."), field="file")


def read_csv(data: bytes, filename: str, kind: str | None, max_rows: int) -> list[Sheet]:
    text = decode_csv(data)
    if "\x00" in text:
        raise BadInput(_("The CSV file contains NUL characters."), field="file")
    try:
        table = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        message = _("The CSV file cannot be read: %(error)s", error=str(exc))
        raise BadInput(message, field="file") from None
    if not table or not any(cell.strip() for cell in table[0]):
        raise BadInput(_("The first line of %(file)s must name the columns.", file=filename),
                       field="file")  # fmt: skip
    kind = kind or kind_of_name(filename) or _kind_of_headers(table[0])
    if kind is None:
        raise BadInput(
            _("Cannot tell whether %(file)s lists societies, venues, people or users: choose "
              "the kind.", file=filename),
            field="kind",
        )  # fmt: skip
    return [_sheet(kind, filename, table, max_rows)]


def read_xlsx(data: bytes, filename: str, kind: str | None, max_rows: int) -> list[Sheet]:
    from openpyxl import load_workbook

    unreadable = BadInput(_("%(file)s is not a readable .xlsx workbook.", file=filename),
                          field="file")  # fmt: skip
    try:
        unpacked = sum(item.file_size for item in zipfile.ZipFile(io.BytesIO(data)).infolist())
        if unpacked > MAX_UNPACKED_BYTES:  # a zip bomb: openpyxl inflates the strings whole
            raise unreadable
        # data_only=False: a formula cell gives its text, which is stored as text.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            return _workbook_sheets(book, filename, kind, max_rows)
        finally:
            book.close()
    except BadInput:
        raise
    except Exception:  # a damaged workbook fails deep in zlib, zipfile, XML or openpyxl
        raise unreadable from None


def _workbook_sheets(book, filename: str, kind: str | None, max_rows: int) -> list[Sheet]:
    named = [(ws, kind_of_name(ws.title)) for ws in book.worksheets]
    if kind and len(named) == 1:
        named = [(named[0][0], kind)]  # one sheet: the kind the user chose
    elif kind:
        named = [(ws, k) for ws, k in named if k == kind]
    unknown = [ws.title for ws, k in named if k is None]
    if unknown:
        raise BadInput(
            _("%(file)s: cannot tell what the sheet “%(sheet)s” lists. Name the sheets 学会, "
              "场馆, 专家 and 用户 (or societies, venues, people, users).",
              file=filename, sheet=unknown[0]),
            field="file",
        )  # fmt: skip
    kinds = [k for _ws, k in named]
    if len(kinds) != len(set(kinds)):
        raise BadInput(_("%(file)s has two sheets of the same kind.", file=filename), field="file")
    sheets = []
    for ws, sheet_kind in named:
        table = [list(r[:MAX_COLUMNS]) for r in _bounded_rows(ws, max_rows + 1000)]
        sheets.append(_sheet(sheet_kind, ws.title, table, max_rows))
    if not sheets:
        raise BadInput(_("%(file)s has no sheet to import.", file=filename), field="file")
    return sheets


def _bounded_rows(ws, limit: int):
    """The sheet's rows, at most ``limit`` (a sheet formatted down to row 1,048,576 is read
    only as far as it holds something)."""
    for count, row in enumerate(ws.iter_rows(values_only=True)):
        if count >= limit:
            break
        yield row


def read_file(data: bytes, filename: str, kind: str | None, max_rows: int) -> list[Sheet]:
    """The sheets of an uploaded or given file, ordered so that societies come first (users
    name their society)."""
    if kind is not None and kind not in KINDS:
        raise BadInput(_("The kind must be one of: %(kinds)s.", kinds=", ".join(KINDS)),
                       field="kind")  # fmt: skip
    if not data:
        raise BadInput(_("The file is empty."), field="file")
    if data.startswith(OLE_MAGIC):
        raise BadInput(
            _("%(file)s is an old .xls workbook: save it as .xlsx or CSV.", file=filename),
            field="file",
        )
    if data.startswith(XLSX_MAGIC):
        sheets = read_xlsx(data, filename, kind, max_rows)
    else:
        sheets = read_csv(data, filename, kind, max_rows)
    return sorted(sheets, key=lambda sheet: KINDS.index(sheet.kind))
