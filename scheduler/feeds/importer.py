"""Importing events from an .ics file (another calendar a society already keeps).

Reading comes first and writes nothing: the raw bytes are held to the size limit, decoded
(UTF-8, UTF-16/32 with a byte-order mark, or GB18030), and scanned (structure, nesting,
line lengths, the number of events) before any iCalendar parsing; then each VEVENT is
parsed on its own, only the properties the importer uses, into plain values, so memory and
time stay proportional to the file. A file with a problem there is refused whole, every
problem listed with its line; a few stray lines (a line folded without its space, text
after END:VCALENDAR) are left out with a note instead.

Importing matches each event by UID among the importing society's events: new ones are
created, changed ones updated, identical ones left alone, so importing the same file twice
changes nothing; a UID that is another society's event is skipped with a reason. Every item
goes through the workflow functions and the conflict engine; the whole file is one
transaction, and an item the rules refuse is rolled back alone and reported as skipped with
its reason.
"""

import codecs
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from dateutil.rrule import rrulestr
from flask import current_app, has_app_context
from flask_babel import gettext as _
from icalendar import Component
from icalendar.timezone import tzp

from ..errors import BadInput
from ..events import workflow
from ..events.enums import EventKind, EventStatus
from ..events.input import (
    CONTROL_CHARACTERS,
    MAX_YEAR,
    MIN_YEAR,
    EventInput,
    parse_event_input,
)
from ..events.models import Event
from ..events.recurrence import first_of_rule, local_until, normalize_rrule
from ..extensions import db
from ..societies.models import Society
from ..timeutil import event_zone, local_midnight_utc, zone_of
from ..venues.models import Venue
from .zones import ZoneMatch, match_zone, own_zone, zone_key

# Defaults of the IMPORT_* settings (config.py).
MAX_BYTES = 5 * 1024 * 1024
MAX_EVENTS = 500
MAX_LINE_LENGTH = 50_000  # characters of one unfolded line that is read
# Fixed bounds. VCALENDAR > VTIMEZONE > STANDARD and VCALENDAR > VEVENT > VALARM are 3 deep.
MAX_DEPTH = 8
MAX_PROPERTIES = 1000  # lines read from one event or time zone (500 EXDATE lines fit)
MAX_TIME_ZONES = 50
MAX_MATCHED_ZONES = 10  # of them matched to an IANA zone (zones.match_zone)
MAX_PROBLEMS = 100  # reading stops there; the first SHOWN_PROBLEMS are listed
SHOWN_PROBLEMS = 20
MAX_UID = 255  # Event.imported_uid
MAX_RRULE = 500  # Event.rrule

# What the importer reads of a VEVENT; every other line (X-…, ATTACH, ATTENDEE, VALARM…)
# is skipped unparsed and costs nothing but its bytes.
EVENT_PROPERTIES = frozenset({
    "UID", "SUMMARY", "DESCRIPTION", "LOCATION", "CATEGORIES", "STATUS", "DTSTART", "DTEND",
    "DURATION", "RRULE", "EXDATE", "RDATE", "RECURRENCE-ID", "SEQUENCE",
})  # fmt: skip
REPEATABLE = frozenset({"CATEGORIES", "EXDATE", "RDATE"})
# What is read of a VTIMEZONE whose TZID is not a known name (no EXRULE: see _plain_yearly_rule).
TIME_ZONE_PROPERTIES = frozenset(
    {"TZID", "DTSTART", "TZOFFSETFROM", "TZOFFSETTO", "TZNAME", "RRULE", "RDATE"}
)

CALENDAR_ZONE = "X-WR-TIMEZONE"  # the calendar's zone for floating times (Google, Apple)
FLOATING = ""  # its key among the file's time zones (no TZID is empty)
# An event must end after it starts (end_after_start) and times are kept to the minute.
SHORTEST = timedelta(minutes=1)
MAX_SKIPPED_LINES = 10  # lines that are not NAME:value left out with a note; more refuse

_OF_INTEREST = re.compile(  # the BEGIN, END and property lines that are read
    r"^(?:"
    + "|".join(EVENT_PROPERTIES | TIME_ZONE_PROPERTIES | {"BEGIN", "END", CALENDAR_ZONE})
    + ")[;:]",
    re.MULTILINE | re.IGNORECASE,
)

_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_BINARY_KINDS = (
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"%PDF", "PDF"),
    (b"PK\x03\x04", "ZIP (.docx, .xlsx)"),
    (b"\xd0\xcf\x11\xe0", "Microsoft Office (.doc, .xls)"),
    (b"\x1f\x8b", "gzip"),
)
_TEXT_KINDS = (
    (re.compile(r"\s*<(!doctype\s+html|html)", re.IGNORECASE), "HTML"),
    (re.compile(r"\s*<"), "XML"),
    (re.compile(r"\s*[\[{]"), "JSON"),
)
_BREAK = re.compile(r"\r?\n(?![ \t])")  # a line break that is not a fold
_FOLD = re.compile(r"\r?\n[ \t]")
_NAME = re.compile(r"([A-Za-z0-9-]+)[;:]")
_NONBLANK = re.compile(r"\S")
_SECOND_CALENDAR = re.compile(r"^BEGIN:VCALENDAR", re.MULTILINE | re.IGNORECASE)
_END_OF_CALENDAR = re.compile(r"^END:VCALENDAR", re.MULTILINE | re.IGNORECASE)
# The start of a line that is neither blank, nor a fold, nor NAME: or NAME;
_NOT_A_LINE = re.compile(r"^(?=[^ \t\r\n])(?![A-Za-z0-9-]+[;:])", re.MULTILINE)
_COMPONENT = re.compile(r"[A-Z0-9-]+")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_WEEKDAY = re.compile(r"([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)")
_TIME_ZONE_RULE_PARTS = frozenset(
    {"FREQ", "BYMONTH", "BYDAY", "BYMONTHDAY", "UNTIL", "COUNT", "WKST", "INTERVAL", "BYHOUR",
     "BYMINUTE"}
)  # fmt: skip
_UNTIL_YEAR = re.compile(r"UNTIL=(\d{4})", re.IGNORECASE)
_GIVEN_UNTIL = re.compile(r"UNTIL=(\d{8})(T(\d{6})(Z?))?")


@dataclass(frozen=True)
class Limits:
    max_bytes: int = MAX_BYTES
    max_events: int = MAX_EVENTS
    max_line_length: int = MAX_LINE_LENGTH

    @classmethod
    def from_config(cls) -> "Limits":
        if not has_app_context():
            return cls()
        config = current_app.config
        return cls(
            config.get("IMPORT_MAX_BYTES", MAX_BYTES),
            config.get("IMPORT_MAX_EVENTS", MAX_EVENTS),
            config.get("IMPORT_MAX_LINE_LENGTH", MAX_LINE_LENGTH),
        )


@dataclass
class ImportItem:
    uid: str
    title: str
    outcome: str  # created | updated | unchanged | skipped
    reason: str = ""
    event_id: int | None = None
    line: int = 0  # where its VEVENT begins in the file


@dataclass
class ImportResult:
    items: list[ImportItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the whole file (its encoding)

    def count(self, outcome: str) -> int:
        return sum(1 for item in self.items if item.outcome == outcome)

    @property
    def uids(self) -> set[str]:
        """Every UID the file names, imported or not (calendar sync: what is still there)."""
        return {item.uid for item in self.items if item.uid}


@dataclass
class Entry:
    """One VEVENT as plain values; ``skip`` says why the rules cannot take it."""

    line: int
    uid: str
    title: str
    description: str = ""
    location: str = ""
    categories: list[str] = field(default_factory=list)
    start: date | None = None
    end: date | None = None  # DTEND, or DTSTART + DURATION; None when neither is given
    rrule: str = ""
    exdates: list[date] = field(default_factory=list)
    # RDATE values: dates, date-times, or (start, end) for a PERIOD.
    rdates: list = field(default_factory=list)
    cancelled: bool = False
    recurrence_id: date | None = None
    sequence: int = 0
    this_and_future: bool = False  # RECURRENCE-ID;RANGE=THISANDFUTURE
    skip: str = ""
    zone: str = ""  # the IANA zone its times are in; "" for floating times and dates
    zone_note: str = ""  # how a zone the file defines itself was read
    as_given: bool = False  # no IANA zone agrees with the file's: convert with its rules


@dataclass
class CalendarFile:
    entries: list[Entry]
    notes: list[str]


# --- reading ---------------------------------------------------------------------------------


def read_calendar(data: bytes, limits: Limits | None = None) -> CalendarFile:
    """Every VEVENT of an .ics file as plain values. Raises BadInput naming each problem and
    its line when the file cannot be read, or breaks a limit."""
    limits = limits or Limits.from_config()
    if len(data) > limits.max_bytes:
        _refuse(too_large(limits))
    if not data.strip():
        _refuse(_("The file is empty."))
    for signature, kind in _BINARY_KINDS:
        if data.startswith(signature):
            _refuse(_("This is not an iCalendar (.ics) file: it looks like %(kind)s.", kind=kind))
    text, encoding = _decode(data)
    notes = []
    if encoding == "gb18030":
        notes.append(_("The file is not UTF-8; it was read as GB18030 (GBK). Check the titles."))
    problems = _Problems()
    blocks = _scan(text, limits, problems, notes)
    del text  # the blocks hold what is read
    problems.raise_any()
    zones = {}  # the file's own time zones, by TZID
    for block in blocks:
        if block.name == "VTIMEZONE":
            _read_time_zone(block, zones, problems)
    problems.raise_any()  # events need their time zones
    for block in blocks:
        if block.name == "VCALENDAR":
            _read_calendar_zone(block, zones, notes)
    entries = []
    for block in blocks:
        if block.name == "VEVENT":
            entry = _read_event(block, zones, problems)
            if entry is not None:
                entries.append(entry)
        block.lines.clear()
    problems.raise_any()
    _name_zones(entries, zones)
    return CalendarFile(entries, notes)


def read_bounded(stream) -> bytes:
    """What ``import_ics`` needs of a file or upload: one byte past the limit is enough to
    refuse it, so a huge file is never read whole."""
    return stream.read(Limits.from_config().max_bytes + 1)


def too_large(limits: Limits | None = None) -> str:
    """The message for a file over the byte limit (also the upload form's 413)."""
    limit = (limits or Limits.from_config()).max_bytes
    return _("The file is larger than %(limit)s.", limit=_size(limit))


def _refuse(message: str):
    raise BadInput(message, field="file")


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(n / 1024))} KB"


class _Problems:
    """Collects what cannot be read, so that all of it is reported at once."""

    def __init__(self):
        self.found: list[tuple[int, str]] = []

    def add(self, line: int, problem: str, uid: str = "") -> None:
        if uid:
            message = _("Line %(line)s (%(uid)s): %(problem)s", line=line, uid=uid, problem=problem)
        else:
            message = _("Line %(line)s: %(problem)s", line=line, problem=problem)
        self.found.append((line, message))

    def full(self) -> bool:
        return len(self.found) >= MAX_PROBLEMS

    def raise_any(self) -> None:
        if not self.found:
            return
        shown = [message for _line, message in sorted(self.found)[:SHOWN_PROBLEMS]]
        more = len(self.found) - len(shown)
        if more:
            shown.append(_("… and %(count)s more problems.", count=more))
        _refuse("\n".join([_("The file was not imported; nothing was changed:"), *shown]))


def _decode(data: bytes) -> tuple[str, str]:
    """The text and the codec it was read with: UTF-8 (a byte-order mark is allowed), UTF-16
    or UTF-32 with a byte-order mark, or GB18030 — which includes GBK and GB2312, what Chinese
    Windows programs write — for bytes that are not UTF-8 but are GB18030."""
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError as exc:
                line = data[: exc.start].decode(codec, "replace").count("\n") + 1
                _refuse(_not_text(label, line))
    if b"\0" in data:
        _refuse(
            _(
                "Line %(line)s contains a NUL byte: this is not a text file, or it is UTF-16 "
                "without a byte-order mark. Save it as UTF-8 and import it again.",
                line=data.count(b"\n", 0, data.index(b"\0")) + 1,
            )
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
    if _damaged_utf8(data):
        _refuse(_not_text("UTF-8", line))
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        _refuse(_not_text("UTF-8 / GB18030 (GBK)", line))


def _not_text(encoding: str, line: int) -> str:
    return _(
        "The file is not valid %(encoding)s text: line %(line)s cannot be read. Save it as "
        "UTF-8 and import it again.",
        encoding=encoding,
        line=line,
    )


def _damaged_utf8(data: bytes) -> bool:
    """Bytes that are mostly valid UTF-8 are a damaged UTF-8 file (cut in the middle of a
    character, a stray byte), not text in another encoding: GBK text read as UTF-8 yields
    far more invalid sequences than valid characters."""
    text = data.decode("utf-8", "replace")
    invalid = text.count("\ufffd")
    valid = len(text) - len(text.encode("ascii", "ignore")) - invalid
    return valid > invalid


def _lines_of_interest(text: str, max_length: int):
    """(line number, unfolded text, its beginning, where it ends) for each BEGIN, END and
    property line that is read, found by one regular expression: the lines in between (X-…,
    ATTACH, VALARM…) never reach Python one by one. The text is None for a line longer than
    ``max_length``, which is then measured, not copied."""
    number, counted = 1, 0
    for match in _OF_INTEREST.finditer(text):
        begin = match.start()
        number += text.count("\n", counted, begin)
        counted = begin
        found = _BREAK.search(text, begin)
        end = found.start() if found else len(text)
        folds = text.count("\n", begin, end)
        if end - begin - 3 * folds > max_length:  # too long however it unfolds
            yield number, None, text[begin : begin + 100], end
            continue
        raw = text[begin:end]
        content = _FOLD.sub("", raw) if folds else raw
        if len(content) > max_length:
            yield number, None, content[:100], end
        else:
            yield number, content.rstrip("\r"), content, end


@dataclass
class _Block:
    """The lines of one VEVENT or VTIMEZONE that are read, with the line of each property."""

    name: str
    line: int
    lines: list[str] = field(default_factory=list)
    where: dict[str, int] = field(default_factory=dict)
    full: bool = False

    @property
    def text(self) -> str:
        return "\r\n".join(self.lines) + "\r\n"


def _snippet(text: str) -> str:
    return text[:40] + ("…" if len(text) > 40 else "")


def _scan(text: str, limits: Limits, problems: _Problems, notes: list[str]) -> list[_Block]:
    """Check the structure and keep the lines of each VEVENT and VTIMEZONE that are read
    (and the calendar's X-WR-TIMEZONE, as a VCALENDAR block). Nesting is tracked with a
    list, so no depth can exhaust the Python stack."""
    first = _NONBLANK.search(text)
    if first is None:
        _refuse(_("The file is empty."))
    number = text.count("\n", 0, first.start()) + 1
    lines = _lines_of_interest(text, limits.max_line_length)
    opening = next(lines, None)
    if (
        opening is None
        or opening[0] != number
        or (opening[1] or "").rstrip().upper() != "BEGIN:VCALENDAR"
    ):
        _refuse(
            _not_a_calendar(
                text[first.start() : first.start() + 41].partition("\n")[0].rstrip("\r"), number
            )
        )
    _find_bad_lines(text, problems, notes)
    stack: list[tuple[str, int]] = [("VCALENDAR", number)]  # (component, line of its BEGIN)
    calendar = _Block("VCALENDAR", number)
    blocks: list[_Block] = [calendar]
    block: _Block | None = None
    events = zones = 0
    for number, content, head, end in lines:
        if problems.full():
            return blocks
        name = _NAME.match(head).group(1).upper()
        if name in ("BEGIN", "END"):
            value = content[len(name) + 1 :].strip().upper() if content else ""
            if content is None or content[len(name)] != ":" or not _COMPONENT.fullmatch(value):
                problems.add(number, _("“%(text)s” is not an iCalendar line (NAME:value).",
                                       text=_snippet(head)))  # fmt: skip
                return blocks
            if name == "BEGIN":
                problem = _begin_problem(value, stack)
                if problem:
                    problems.add(number, problem)
                    return blocks
                if value == "VEVENT":
                    events += 1
                    if events > limits.max_events:
                        _refuse(_("The file has more than %(n)s events.", n=limits.max_events))
                    if len(stack) == 1:
                        block = _Block("VEVENT", number, ["BEGIN:VEVENT"])
                    else:
                        problems.add(
                            number,
                            _(
                                "a VEVENT must be directly inside the VCALENDAR, not inside "
                                "%(open)s of line %(begin)s.",
                                open=stack[-1][0],
                                begin=stack[-1][1],
                            ),
                        )
                elif value == "VTIMEZONE" and len(stack) == 1:
                    zones += 1
                    if zones > MAX_TIME_ZONES:
                        problems.add(number, _("the file defines more than %(n)s time zones.",
                                               n=MAX_TIME_ZONES))  # fmt: skip
                        return blocks
                    block = _Block("VTIMEZONE", number)
                stack.append((value, number))
            else:
                if value != stack[-1][0]:
                    problems.add(number, _end_problem(value, stack))
                    return blocks
                stack.pop()
            if block is not None and block.name == "VTIMEZONE":
                block.lines.append(content)  # its STANDARD and DAYLIGHT parts too
            if name == "END" and len(stack) == 1 and block is not None:
                if block.name == "VEVENT":
                    block.lines.append("END:VEVENT")
                blocks.append(block)
                block = None
            if not stack:
                _after_the_end(text, end, number, problems, notes)
                return blocks
            continue
        if len(stack) == 1 and name == CALENDAR_ZONE and CALENDAR_ZONE not in calendar.where:
            _keep(calendar, name, number, content, head, limits, problems)
        if block is not None and (
            name in TIME_ZONE_PROPERTIES
            if block.name == "VTIMEZONE"
            else len(stack) == 2 and name in EVENT_PROPERTIES
        ):
            _keep(block, name, number, content, head, limits, problems)
    for open_name, begin in reversed(stack):
        problems.add(
            begin,
            _(
                "BEGIN:%(name)s is never closed (END:%(name)s is missing: is the file cut off?).",
                name=open_name,
            ),
        )
    return blocks


def _after_the_end(text: str, end: int, number: int, problems: _Problems, notes) -> None:
    """Text after END:VCALENDAR: a second calendar is refused, anything else (a web page's
    footer, stray bytes) is left out with a note."""
    rest = _NONBLANK.search(text, end)
    if not rest:
        return
    line = number + text.count("\n", end, rest.start())
    if _SECOND_CALENDAR.search(text, rest.start()):
        problems.add(line, _("there is more after END:VCALENDAR; a file holds one calendar."))
    else:
        notes.append(_("Line %(line)s: the text after END:VCALENDAR was left out.", line=line))


def _find_bad_lines(text: str, problems: _Problems, notes: list[str]) -> None:
    """Lines that are not NAME:value (usually a long line folded without the leading space)
    are left out with a note, up to MAX_SKIPPED_LINES; more refuse the file."""
    ends = [match.start() for match in _END_OF_CALENDAR.finditer(text)]
    number, counted, found = 1, 0, []  # after the last END:VCALENDAR: see _after_the_end
    for match in _NOT_A_LINE.finditer(text, 0, ends[-1] if ends else len(text)):
        number += text.count("\n", counted, match.start())
        counted = match.start()
        line = text[counted : counted + 41].partition("\n")[0].rstrip("\r")
        found.append((number, _snippet(line)))
        if len(found) >= MAX_PROBLEMS:
            break
    if len(found) <= MAX_SKIPPED_LINES:
        for number, line in found:
            notes.append(_("Line %(line)s: “%(text)s” is not an iCalendar line (NAME:value); it "
                           "was left out.", line=number, text=line))  # fmt: skip
        return
    for number, line in found:
        problems.add(number, _("“%(text)s” is not an iCalendar line (NAME:value).", text=line))


def _begin_problem(value: str, stack: list) -> str:
    if len(stack) >= MAX_DEPTH:
        return _("components are nested more than %(n)s deep.", n=MAX_DEPTH)
    if value == "VCALENDAR":
        return _("BEGIN:VCALENDAR inside %(open)s of line %(begin)s.", open=stack[-1][0],
                 begin=stack[-1][1])  # fmt: skip
    return ""


def _end_problem(value: str, stack: list) -> str:
    if any(open_name == value for open_name, _begin in stack):
        return _(
            "END:%(name)s comes before END:%(open)s (BEGIN:%(open)s is on line %(begin)s).",
            name=value,
            open=stack[-1][0],
            begin=stack[-1][1],
        )
    return _("END:%(name)s has no BEGIN:%(name)s before it.", name=value)


def _keep(block: _Block, name, number, content, head, limits: Limits, problems) -> None:
    """Keep one line of an event or time zone, or say why it cannot be read."""
    if content is None:
        problems.add(number, _("the %(name)s line is longer than %(limit)s characters.",
                               name=name, limit=limits.max_line_length))  # fmt: skip
    elif CONTROL_CHARACTERS.search(content):
        code = f"{ord(CONTROL_CHARACTERS.search(content).group()):04X}"
        problems.add(number, _("%(name)s contains the control character U+%(code)s.",
                               name=name, code=code))  # fmt: skip
    elif block.name == "VEVENT" and name in block.where and name not in REPEATABLE:
        problems.add(number, _("%(name)s appears twice in one event (first on line %(first)s).",
                               name=name, first=block.where[name]))  # fmt: skip
    elif len(block.lines) >= MAX_PROPERTIES:
        if not block.full:
            problems.add(block.line, _("this %(name)s has more than %(n)s lines.",
                                       name=block.name, n=MAX_PROPERTIES))  # fmt: skip
        block.full = True
    else:
        if name == "RRULE":  # Exchange writes "BYDAY=MO, TU"; a rule never holds a space
            content = content.replace(" ", "")
        block.lines.append(content)
        block.where.setdefault(name, number)


def _not_a_calendar(first_line: str, number: int) -> str:
    for pattern, kind in _TEXT_KINDS:
        if pattern.match(first_line):
            return _("This is not an iCalendar (.ics) file: it looks like %(kind)s.", kind=kind)
    return _(
        "This is not an iCalendar (.ics) file: it must begin with BEGIN:VCALENDAR, not with "
        "“%(text)s” (line %(line)s).",
        text=_snippet(first_line),
        line=number,
    )


def _known_zone(tzid: str) -> bool:
    """An IANA or Windows name (not one icalendar has cached from another file's VTIMEZONE:
    that one has no IANA key)."""
    try:
        return bool(zone_key(tzp.timezone(tzid)))
    except Exception:  # a TZID no provider understands is simply not known
        return False


def _read_time_zone(block: _Block, zones: dict, problems: _Problems) -> None:
    """A time zone known by name (IANA, Windows) is left to icalendar; any other is built
    from its definition for this file only (icalendar would keep it for the whole process)."""
    tzid = next(
        (line.split(":", 1)[-1].strip() for line in block.lines if _NAME.match(line)
         and _NAME.match(line).group(1).upper() == "TZID"),
        "",
    )  # fmt: skip
    if not tzid:
        problems.add(block.line, _("the VTIMEZONE has no TZID."))
        return
    if _known_zone(tzid):
        return
    changes = sum(line.count(",") + 1 for line in block.lines if line.upper().startswith("RDATE"))
    if changes > MAX_PROPERTIES:
        problems.add(
            block.line,
            _("the time zone “%(tzid)s” lists more than %(n)s dates of change (RDATE).",
              tzid=_snippet(tzid), n=MAX_PROPERTIES),
        )  # fmt: skip
        return
    for line in block.lines:
        if line.upper().startswith("RRULE") and not _plain_yearly_rule(line.split(":", 1)[-1]):
            problems.add(
                block.line,
                _(
                    "the time zone “%(tzid)s” repeats its changes by a rule time zones do not "
                    "use (%(rule)s); use a standard name such as Asia/Shanghai.",
                    tzid=_snippet(tzid),
                    rule=_snippet(line),
                ),
            )
            return
    try:
        zones[tzid] = own_zone(block.lines)
    except Exception as exc:  # dateutil raises ValueError and others for bad input
        problems.add(
            block.line,
            _("the time zone “%(tzid)s” cannot be read: %(detail)s", tzid=_snippet(tzid),
              detail=str(exc)[:120]),
        )  # fmt: skip


def _read_calendar_zone(block: _Block, zones: dict, notes: list[str]) -> None:
    """X-WR-TIMEZONE (Google, Apple): the zone of the file's floating times."""
    if not block.lines:
        return
    name = block.lines[0].split(":", 1)[-1].strip()
    if name in zones:
        zones[FLOATING] = zones[name]
        return
    zone = tzp.timezone(name) if _known_zone(name) else None  # IANA and Windows names
    if zone is not None:
        zones[FLOATING] = zone
    else:
        notes.append(
            _("%(name)s “%(value)s” is not a known time zone; times without a zone were read "
              "as local time.", name=CALENDAR_ZONE, value=_snippet(name))
        )  # fmt: skip


def _plain_yearly_rule(rule: str) -> bool:
    """Whether a time zone's RRULE has the shape real time zones use: yearly, in one month,
    on an nth weekday or a week of days. A rule that never matches would otherwise be walked
    up to the year 9999 on every time conversion (dateutil), minutes per event."""
    try:
        parts = dict(part.split("=", 1) for part in rule.strip().upper().split(";"))
    except ValueError:
        return False
    if parts.get("FREQ") != "YEARLY" or set(parts) - _TIME_ZONE_RULE_PARTS:
        return False
    single = {"INTERVAL": (1, 1), "BYHOUR": (0, 23), "BYMINUTE": (0, 59)}  # Outlook, khal
    for name, (low, high) in single.items():
        value = parts.get(name, str(low))
        if not (value.isdigit() and low <= int(value) <= high):
            return False
    month = parts.get("BYMONTH", "")
    if month and not (month.isdigit() and 1 <= int(month) <= 12):
        return False
    longest = _DAYS_IN_MONTH[int(month) - 1] if month else 31
    days = [d for d in parts.get("BYMONTHDAY", "").split(",") if d]
    if not all(d.lstrip("-").isdigit() and 1 <= abs(int(d)) <= longest for d in days):
        return False
    weekdays = [_WEEKDAY.fullmatch(d) for d in parts.get("BYDAY", "").split(",") if d]
    if not all(weekdays):
        return False
    if days and weekdays:  # "the Sunday among the 8th to the 14th": a whole week of days
        numbers = sorted(int(d) for d in days)
        week = any(numbers[i + 6] - numbers[i] == 6 for i in range(len(numbers) - 6))
        return week and not any(m.group(1) for m in weekdays)
    return True


def _name_zones(entries: list[Entry], zones: dict) -> None:
    """Each event's zone by IANA name. A zone the file defines itself becomes the IANA zone
    that agrees with it over the years its events use (zones.match_zone), or, when none
    does, its times are converted with the file's own rules (Entry.as_given)."""
    own = {id(tz): tzid for tzid, tz in zones.items() if tzid != FLOATING}
    spans: dict[int, tuple[int, int]] = {}
    for entry in entries:
        key = id(getattr(entry.start, "tzinfo", None))
        if key in own:
            first, last = _years(entry)
            low, high = spans.get(key, (first, last))
            spans[key] = (min(low, first), max(high, last))
    found = {  # beyond MAX_MATCHED_ZONES (a costly search each), the file's rules are used
        key: match_zone(zones[own[key]], first, last, own[key])
        if index < MAX_MATCHED_ZONES
        else ZoneMatch("", False)
        for index, (key, (first, last)) in enumerate(spans.items())
    }
    renamed = {key: ZoneInfo(match.name) for key, match in found.items() if match.name}
    for entry in entries:
        key = id(getattr(entry.start, "tzinfo", None))
        _rezone(entry, renamed)
        if not isinstance(entry.start, datetime) or entry.start.tzinfo is None:
            continue
        entry.zone = zone_key(entry.start.tzinfo)
        if key not in found:
            continue
        first, last = spans[key]
        years = str(first) if first == last else f"{first}–{last}"
        if found[key].name:
            entry.zone_note = _(
                "the file's time zone “%(tzid)s” agrees with %(name)s in %(years)s; the event "
                "was given that zone",
                tzid=_snippet(own[key]), name=found[key].name, years=years,
            )  # fmt: skip
        else:
            entry.as_given = True
            entry.zone_note = _(
                "no IANA time zone agrees with the file's time zone “%(tzid)s” in %(years)s; "
                "the times were converted with the file's own rules",
                tzid=_snippet(own[key]), years=years,
            )  # fmt: skip


def _years(entry: Entry) -> tuple[int, int]:
    """The years an event's occurrences fall in, as far as the file says cheaply."""
    first = entry.start.year
    last = first + 1 if entry.rrule else first
    until = _UNTIL_YEAR.search(entry.rrule)
    if until:
        last = max(first, int(until.group(1)))
    for value in entry.rdates:
        last = max(last, (value[0] if isinstance(value, tuple) else value).year)
    return first, last


def _rezone(entry: Entry, renamed: dict) -> None:
    """Give every date-time of an event that is in a renamed zone its IANA zone (the same
    wall time, and the same instant: the zones agree)."""

    def swap(value):
        if isinstance(value, tuple):
            return tuple(swap(v) for v in value)
        tz = getattr(value, "tzinfo", None)
        if isinstance(value, datetime) and id(tz) in renamed:
            return value.replace(tzinfo=renamed[id(tz)])
        return value

    entry.start, entry.end = swap(entry.start), swap(entry.end)
    entry.recurrence_id = swap(entry.recurrence_id)
    entry.exdates = [swap(v) for v in entry.exdates]
    entry.rdates = [swap(v) for v in entry.rdates]


def _raw(block: _Block, name: str) -> str:
    for line in block.lines:
        match = _NAME.match(line)
        if match and match.group(1).upper() == name:
            return _snippet(line.split(":", 1)[-1]) if ":" in line else ""
    return ""


def _read_event(block: _Block, zones: dict, problems: _Problems) -> Entry | None:
    try:
        vevent = Component.from_ical(block.text)
    except Exception as exc:  # icalendar raises ValueError and others for bad input
        problems.add(block.line, _("the event cannot be read: %(detail)s", detail=str(exc)[:120]))
        return None
    uid = str(vevent.get("UID", "")).strip()
    label = _snippet(uid)
    if vevent.errors:
        for name, detail in vevent.errors:
            if name is None:
                problems.add(
                    block.line,
                    _("the event cannot be read: %(detail)s", detail=detail[:120]),
                    label,
                )
            else:
                problems.add(
                    block.where.get(name, block.line),
                    _("%(name)s cannot be read: “%(value)s”.", name=name, value=_raw(block, name)),
                    label,
                )
        return None
    entry = Entry(block.line, uid, str(vevent.get("SUMMARY", "")).strip())
    moments: dict[str, list[date]] = {}
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE"):
        for prop in _all(vevent.get(name)):
            listed = name in ("EXDATE", "RDATE")
            for value in [d.dt for d in prop.dts] if listed else [prop.dt]:
                moment, problem = _moment_or_period(name, value, prop, zones, block)
                if problem:
                    problems.add(block.where[name], problem, label)
                    return None
                moments.setdefault(name, []).append(moment)
                moment = moment[0] if isinstance(moment, tuple) else moment
                if not MIN_YEAR <= moment.year <= MAX_YEAR and not entry.skip:
                    entry.skip = _(
                        "%(field)s must be between %(low)s and %(high)s.",
                        field=name,
                        low=MIN_YEAR,
                        high=MAX_YEAR,
                    )
    entry.description = str(vevent.get("DESCRIPTION", ""))
    entry.location = str(vevent.get("LOCATION", "")).strip()
    entry.categories = [
        str(c).strip().lower() for prop in _all(vevent.get("CATEGORIES")) for c in prop.cats
    ]
    entry.cancelled = str(vevent.get("STATUS", "")).upper() == "CANCELLED"
    sequence = str(vevent.get("SEQUENCE", "0")).strip()
    entry.sequence = int(sequence) if sequence.isascii() and sequence.isdigit() else 0
    entry.rdates = moments.get("RDATE", [])
    entry.exdates = moments.get("EXDATE", [])
    entry.recurrence_id = moments.get("RECURRENCE-ID", [None])[0]
    if entry.recurrence_id is not None:
        entry.this_and_future = _this_and_future(vevent["RECURRENCE-ID"])
    entry.start = moments.get("DTSTART", [None])[0]
    entry.end = moments.get("DTEND", [None])[0]
    duration = vevent.decoded("DURATION") if "DURATION" in vevent else None
    if duration is not None and not isinstance(duration, timedelta):  # a date, say
        problems.add(
            block.where["DURATION"],
            _("%(name)s cannot be read: “%(value)s”.", name="DURATION",
              value=_raw(block, "DURATION")),
            label,
        )  # fmt: skip
        return None
    if entry.end is None and entry.start is not None and duration is not None and not entry.skip:
        if abs(duration) > timedelta(days=366):
            entry.skip = entry.skip or _("An event may last at most a year.")
        else:
            entry.end = entry.start + duration
    if "RRULE" in vevent:
        entry.rrule = vevent["RRULE"].to_ical().decode()
        limit = current_app.config["RECURRENCE_MAX_OCCURRENCES"] if has_app_context() else 500
        if len(entry.rrule) > MAX_RRULE:
            entry.skip = entry.skip or _(
                "the repetition rule is longer than %(n)s characters.", n=MAX_RRULE
            )
        elif len(entry.exdates) > limit:
            entry.skip = entry.skip or _(
                "the event has more than %(n)s exception dates (EXDATE).", n=limit
            )
    return entry


def _moment_or_period(name: str, value, prop, zones: dict, block: _Block):
    """_moment, or for a PERIOD (RDATE) its (start, end) with a duration made an end."""
    tzid = prop.params.get("TZID")
    if not isinstance(value, tuple):
        return _moment(name, value, tzid, zones, block)
    start, other = value
    start, problem = _moment(name, start, tzid, zones, block)
    if problem or not isinstance(start, datetime):
        return None, problem or _("%(name)s cannot be read: “%(value)s”.", name=name,
                                  value=_raw(block, name))  # fmt: skip
    if isinstance(other, timedelta):
        return (start, start + other), ""
    end, problem = _moment(name, other, tzid, zones, block)
    return (None, problem) if problem else ((start, end), "")


def _moment(name: str, value, tzid: str | None, zones: dict, block: _Block):
    """(the date or date-time in its time zone, "") or (None, why it cannot be used)."""
    if not isinstance(value, date):  # a time or a period where a date belongs
        return None, _("%(name)s cannot be read: “%(value)s”.", name=name, value=_raw(block, name))
    if not tzid and isinstance(value, datetime) and value.tzinfo is None and FLOATING in zones:
        return value.replace(tzinfo=zones[FLOATING]), ""
    if tzid and isinstance(value, datetime) and tzid in zones:  # the file's own definition
        return value.replace(tzinfo=zones[tzid]), ""  # (icalendar may know another by name)
    if tzid and isinstance(value, datetime) and value.tzinfo is None:
        # icalendar leaves a TZID it does not know floating
        return None, _(
            "the time zone “%(tzid)s” is neither defined in the file nor a known time zone.",
            tzid=_snippet(tzid),
        )
    return value, ""


def _this_and_future(prop) -> bool:
    prop = prop[0] if isinstance(prop, list) else prop
    return str(prop.params.get("RANGE", "")).upper() == "THISANDFUTURE"


def _all(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# --- importing -------------------------------------------------------------------------------


def _local_text(value, all_day: bool, tz: ZoneInfo) -> str:
    """A DTSTART/DTEND/EXDATE/RDATE value as the local ISO text the event input takes, in
    the event's zone ``tz``."""
    if isinstance(value, datetime):
        if all_day:
            return value.date().isoformat()
        if value.tzinfo is None:  # floating time: read it as wall time in the event's zone
            return value.strftime("%Y-%m-%dT%H:%M")
        return value.astimezone(tz).strftime("%Y-%m-%dT%H:%M")
    return value.isoformat()


def _minute_text(value, tz: ZoneInfo) -> str:
    """A moved occurrence's start or end in the stored form (local time to the minute), so
    that an all-day one compares equal on the next import."""
    if not isinstance(value, datetime):
        return value.isoformat() + "T00:00"
    return _local_text(value, False, tz)


def _zone_name(entry: Entry) -> str:
    """The event input's ``timezone`` for an event, in its stored form: "" for all-day
    events, for the association's zone and for a single event in UTC; "UTC" when its
    dates were converted with the file's own rules (see _given_dates)."""
    if not isinstance(entry.start, datetime):
        return ""
    zone = "UTC" if entry.as_given else entry.zone
    if zone == "UTC" and not (entry.rrule or entry.rdates):
        return ""
    return "" if zone == current_app.config["TIMEZONE"] else zone


def _start_on_rule(start, end, rrule: str, tz: ZoneInfo, notes: list[str]):
    """A DTSTART that is not a date of its own RRULE moves to the rule's first date (the
    length kept), as dateutil, ical.js and Radicale read it, so that every client of the
    feeds shows the same dates; the report says so."""
    if isinstance(start, datetime):
        aware = start if start.tzinfo else start.replace(tzinfo=tz)
    else:
        aware = local_midnight_utc(start)
    first = first_of_rule(aware, rrule, tz)
    if first is None or first == aware:
        return start, end  # a rule that gives nothing is refused by the event input
    if isinstance(start, datetime):
        moved = first.astimezone(start.tzinfo or tz)
        moved = moved if start.tzinfo else moved.replace(tzinfo=None)
    else:
        moved = first.astimezone(tz).date()
    notes.append(
        _("DTSTART %(start)s is not a date of its RRULE; the event starts on the rule's first "
          "date, %(first)s", start=_shown(start, tz), first=_shown(moved, tz))
    )  # fmt: skip
    return moved, end + (moved - start)


def _shown(value, tz: ZoneInfo) -> str:
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(tz)
    return value.strftime("%Y-%m-%d %H:%M (%a)" if isinstance(value, datetime) else "%Y-%m-%d (%a)")


def _given_dates(entry: Entry, start: datetime) -> list:
    """The starts of a repeating event whose zone no IANA zone matches, computed with the
    file's own rules (dateutil), as instants; [] for a rule without COUNT or UNTIL (the
    event input refuses it) or one that gives too many (likewise)."""
    rule = normalize_rrule(entry.rrule)
    if "COUNT=" not in rule and "UNTIL=" not in rule:
        return []
    tz, wall = start.tzinfo, start.replace(tzinfo=None)
    rule = local_until(rule, tz)
    limit = current_app.config["RECURRENCE_MAX_OCCURRENCES"]
    try:
        walls = list(islice(rrulestr("RRULE:" + rule, dtstart=wall), limit + 1))
    except (ValueError, TypeError, OverflowError):
        return []  # the event input says why
    excluded = {x.astimezone(UTC) for x in entry.exdates if isinstance(x, datetime)}
    starts = [w.replace(tzinfo=tz).astimezone(UTC) for w in walls]
    return [s for s in starts if s not in excluded][: limit + 1]


def _day_until(rule: str) -> str:
    """An all-day rule's UNTIL as a date (RFC 5545 wants one; Exchange writes the UTC time
    of its local midnight): the date of that UTC time, as recurring_ical_events reads it."""
    return _GIVEN_UNTIL.sub(lambda m: f"UNTIL={m.group(1)}", rule)


def _extra_dates(values: list, start, end, tz: ZoneInfo, notes: list[str]):
    """The event input's ``rdates`` and the overrides a PERIOD of its own length needs. An
    RDATE before the start is left out with a note (the event input wants them after)."""
    all_day = not isinstance(start, datetime)
    keys, moved, early = [], {}, []
    for value in values:
        begin, finish = value if isinstance(value, tuple) else (value, None)
        if all_day and isinstance(begin, datetime):
            begin = begin.date()
        elif not all_day and not isinstance(begin, datetime):  # a date for a timed event
            begin = datetime.combine(begin, start.timetz())
        key = _local_text(begin, all_day, tz)
        if key < _local_text(start, all_day, tz):
            early.append(key)
            continue
        keys.append(key)
        if finish is not None and finish - begin != end - start and finish > begin:
            moved[key] = {"start": _minute_text(begin, tz), "end": _minute_text(finish, tz)}
    if early:
        notes.append(_("RDATE %(dates)s before DTSTART left out", dates=", ".join(early[:5])))
    return keys, moved


def _timing(entry: Entry, zone: str, notes: list[str]) -> dict:
    """start, end, all_day, timezone and, for a repeating event, rrule, rdates, exdates
    (and overrides for PERIODs of their own length) of the event input."""
    start, end = entry.start, entry.end
    all_day = not isinstance(start, datetime)
    tz = zone_of(zone, all_day)
    if all_day and isinstance(end, datetime):  # a DTEND with a time ends on its day
        end = end.date()
    if all_day and (end is None or end == start):  # RFC 5545: one day (holiday calendars)
        end = start + timedelta(days=1)
    elif end is None or end == start:  # RFC 5545: no DTEND nor DURATION is zero length
        end = start + SHORTEST
        notes.append(_("the event has no length (no DTEND or DURATION); it was given one minute"))
    rrule = _day_until(entry.rrule) if all_day else entry.rrule
    extra = entry.rdates
    given = _given_dates(entry, start) if entry.as_given and rrule else []
    if given:  # the rule's dates, computed with the file's rules, become extra dates
        start, end, rrule = given[0], given[0] + (end - start), ""
        extra = [*given[1:], *extra]
    if rrule:
        start, end = _start_on_rule(start, end, rrule, tz, notes)
    rdates, moved = _extra_dates(extra, start, end, tz, notes)
    if all_day:
        end = end - timedelta(days=1)  # the input takes the last day, iCalendar the day after
    timing = {
        "timezone": zone,
        "start": _local_text(start, all_day, tz),
        "end": _local_text(end, all_day, tz),
        "all_day": all_day,
    }
    if rrule or rdates:
        timing["rrule"] = rrule
        timing["rdates"] = rdates
        timing["exdates"] = [_local_text(d, all_day, tz) for d in entry.exdates]
    if moved:
        timing["overrides"] = moved
    return timing


def _body(entry: Entry, venues: dict) -> tuple[dict, list[str]]:
    """The API body for one event, and notes about what could not be represented."""
    notes = [entry.zone_note] if entry.zone_note else []
    body = {
        "title": entry.title,
        "description": entry.description,
        "kind": EventKind.OTHER.value,
        **_timing(entry, _zone_name(entry), notes),
    }
    for kind in EventKind:
        if kind.value in entry.categories:
            body["kind"] = kind.value
            break
    if entry.location:
        if entry.location in venues:
            body["venue"] = venues[entry.location]
        else:
            notes.append(
                _(
                    "no venue is called “%(name)s”; it was kept in the description",
                    name=entry.location,
                )
            )
            body["description"] = (entry.description + "\n" + entry.location).strip()
    return body, notes


def _unchanged(event: Event, values: EventInput) -> bool:
    return not any(
        getattr(event, name) != value
        for name, value in values.values.items()
        if name not in ("host",)
    )


def import_ics(
    data: bytes, society_slug: str, approve: bool = False, by=None, submit: bool = True
) -> ImportResult:
    """Import every VEVENT for a society; see the module doc. Raises BadInput for a file that
    cannot be read (nothing is written then). ``submit=False`` (calendar sync in draft mode,
    scheduler/calendar_sync) leaves new events as drafts."""
    society = db.session.scalar(sa.select(Society).where(Society.slug == society_slug))
    if society is None:
        raise BadInput(_("Unknown society: %(value)s.", value=society_slug), field="society")
    calendar = read_calendar(data)
    by = by or workflow.SYSTEM
    venues = dict(db.session.execute(sa.select(Venue.name, Venue.slug)).all())
    own_uid = "@" + current_app.config["EVENT_UID_HOST"]
    result = ImportResult(notes=calendar.notes)
    entries, older = _latest_versions(calendar.entries)
    result.notes += [_older(entry) for entry in older]
    calendar.entries = entries
    cancelled = _cancelled_instances(calendar.entries)
    done: dict[str, str] = {}  # UID: what this import did to the whole event
    with workflow.batch():
        # Whole events first, then the changes to their single occurrences (RECURRENCE-ID).
        for entry in calendar.entries:
            if entry.recurrence_id is None:
                entry.exdates = [*entry.exdates, *cancelled.get(entry.uid, [])]
                item = _import_one(entry, society, venues, own_uid, approve, by, submit)
                done[entry.uid] = item.outcome
                result.items.append(item)
        for entry in calendar.entries:
            if entry.recurrence_id is not None:
                item = _import_override(entry, society, own_uid, by)
                if item.outcome == "unchanged" and done.get(entry.uid) in ("created", "updated"):
                    item.outcome = done[entry.uid]  # it came in with its repeating event
                result.items.append(item)
    return result


def _latest_versions(entries: list[Entry]) -> tuple[list[Entry], list[Entry]]:
    """One VEVENT per UID and RECURRENCE-ID: the highest SEQUENCE (the later one on a tie),
    as recurring_ical_events reads a file that holds several versions of an event; and the
    older versions."""
    latest: dict[tuple, Entry] = {}
    for entry in entries:
        key = (entry.uid, entry.recurrence_id)
        if not entry.uid or key not in latest or entry.sequence >= latest[key].sequence:
            latest[key if entry.uid else (id(entry), None)] = entry
    kept = {id(entry) for entry in latest.values()}
    return [e for e in entries if id(e) in kept], [e for e in entries if id(e) not in kept]


def _older(entry: Entry) -> str:
    return _(
        "Line %(line)s (%(uid)s): an older version (SEQUENCE %(n)s) of an event the file "
        "holds again was left out; the newest version was imported.",
        line=entry.line, uid=_snippet(entry.uid), n=entry.sequence,
    )  # fmt: skip


def _cancelled_instances(entries: list[Entry]) -> dict[str, list]:
    """The cancelled occurrences of each UID (RECURRENCE-ID + STATUS:CANCELLED): they are
    the repeating event's exception dates, so that a re-import finds it unchanged instead of
    removing the date with the event and adding it back with the occurrence."""
    out: dict[str, list] = {}
    for entry in entries:
        if entry.recurrence_id is not None and entry.cancelled and entry.uid:
            out.setdefault(entry.uid, []).append(entry.recurrence_id)
    return out


# The iCalendar property behind each event input field, for the messages of an import.
_PROPERTY_OF = {
    "title": "SUMMARY", "description": "DESCRIPTION", "kind": "CATEGORIES", "venue": "LOCATION",
    "start": "DTSTART", "end": "DTEND", "all_day": "DTSTART", "rrule": "RRULE",
    "exdates": "EXDATE", "overrides": "RECURRENCE-ID",
}  # fmt: skip
_FIELD_FIRST = re.compile(r"^(" + "|".join(_PROPERTY_OF) + r")(?![A-Za-z0-9_-])")


def _reason(exc: BadInput) -> str:
    """The event input's message in the file's terms: a leading field name becomes its
    iCalendar property (``title is required`` → ``SUMMARY is required``), and a message
    about a field that names no property is prefixed with it (``DTEND: …``)."""
    message = _FIELD_FIRST.sub(lambda match: _PROPERTY_OF[match.group(1)], exc.message, 1)
    prop = _PROPERTY_OF.get(exc.field or "")
    if prop and prop not in message:
        message = f"{prop}: {message}"
    return message


def _skipped(entry: Entry, reason: str) -> ImportItem:
    uid = entry.uid if len(entry.uid) <= MAX_UID else _snippet(entry.uid)
    return ImportItem(uid, entry.title[:200], "skipped", reason, line=entry.line)


def _first_refusal(entry: Entry) -> str:
    """Why an event cannot be taken before the rules are asked, or ""."""
    if not entry.uid:
        return _("the event has no UID")
    if len(entry.uid) > MAX_UID:
        return _("the UID is longer than %(n)s characters.", n=MAX_UID)
    if entry.start is None and not (entry.recurrence_id and entry.cancelled):
        return _("the event has no start")
    return entry.skip


def _import_override(entry: Entry, society, own_uid, by) -> ImportItem:
    """A moved or cancelled occurrence of a repeating event becomes an override or an
    exception date of that event."""
    uid, title = entry.uid, entry.title
    refusal = _first_refusal(entry)
    if refusal:
        return _skipped(entry, refusal)
    if entry.this_and_future:
        return _skipped(entry, _("RECURRENCE-ID with RANGE=THISANDFUTURE (a change to this and "
                                 "every later occurrence) is not supported"))  # fmt: skip
    try:
        master = _find(uid, own_uid, society)
    except ForeignUid:
        return _foreign(entry)
    if master is None or not (master.rrule or master.rdates):
        return _skipped(entry, _("the repeating event it changes is unknown"))
    tz = event_zone(master)
    key = _local_text(entry.recurrence_id, master.all_day, tz)
    overrides, exdates = dict(master.overrides or {}), list(master.exdates or [])
    if entry.cancelled:
        overrides.pop(key, None)
        if key in exdates:
            return ImportItem(uid, title, "unchanged", "", master.id, entry.line)
        data = {"overrides": overrides, "exdates": [*exdates, key]}
    else:
        end = entry.end or entry.start + (master.end_at - master.start_at)
        change = {"start": _minute_text(entry.start, tz), "end": _minute_text(end, tz)}
        if overrides.get(key) == change:
            return ImportItem(uid, title, "unchanged", "", master.id, entry.line)
        overrides[key] = change
        data = {"overrides": overrides}
    try:
        with db.session.begin_nested():
            workflow.update_event(master, data, by)
    except workflow.TransitionRefused as exc:
        reasons = "; ".join(f.message for f in exc.findings if f.severity == "error")
        return _skipped(entry, reasons or exc.message)
    except BadInput as exc:
        return _skipped(entry, _reason(exc))
    return ImportItem(uid, title, "updated", _("one occurrence changed"), master.id, entry.line)


def _import_one(entry: Entry, society, venues, own_uid, approve, by, submit=True) -> ImportItem:
    uid, title = entry.uid, entry.title
    if entry.cancelled and entry.uid:
        return _skipped(entry, _("the event is cancelled in the file"))
    refusal = _first_refusal(entry)
    if refusal:
        return _skipped(entry, refusal)
    body, notes = _body(entry, venues)
    body["host"] = society.slug
    try:
        existing = _find(uid, own_uid, society)
    except ForeignUid:
        return _foreign(entry)
    try:
        with db.session.begin_nested():
            if existing is not None:
                if "overrides" in body:  # PERIODs of their own length; keep RECURRENCE-IDs
                    body["overrides"] = {**(existing.overrides or {}), **body["overrides"]}
                values = parse_event_input(body, current=existing)
                if _unchanged(existing, values):
                    return ImportItem(
                        uid, title, "unchanged", "; ".join(notes), existing.id, entry.line
                    )
                workflow.update_event(existing, body, by)
                outcome, event = "updated", existing
            else:
                event = workflow.create_event(body, by, imported_uid=uid).event
                outcome = "created"
            if submit and event.status in (EventStatus.DRAFT, EventStatus.WITHDRAWN):
                workflow.submit(event, by)
            if approve and event.status == EventStatus.SUBMITTED:
                workflow.approve(event, by, _("imported"), override=True)
    except workflow.TransitionRefused as exc:
        reasons = "; ".join(f.message for f in exc.findings if f.severity == "error")
        return _skipped(entry, reasons or exc.message)
    except BadInput as exc:
        return _skipped(entry, _reason(exc))
    return ImportItem(uid, title, outcome, "; ".join(notes), event.id, entry.line)


class ForeignUid(Exception):
    """The UID names an event the importing society does not host."""


def _find(uid: str, own_uid: str, society) -> Event | None:
    """The importing society's event with this UID, None for a new one, or ForeignUid when
    the UID is another society's event (which an import never touches)."""
    event = db.session.scalar(sa.select(Event).where(Event.imported_uid == uid))
    if event is None and uid.startswith("event-") and uid.endswith(own_uid):
        number = uid[len("event-") : -len(own_uid)]
        if number.isascii() and number.isdigit() and len(number) <= 9:  # an Integer key
            event = db.session.get(Event, int(number))
    if event is not None and event.host_id != society.id:
        raise ForeignUid(uid)
    return event


def _foreign(entry: Entry) -> ImportItem:
    # Says nothing of the other event (its society, title or status may be private).
    return _skipped(
        entry,
        _(
            "this UID already belongs to an event of another society; imports change only "
            "the importing society's events (give the event a new UID to import it)"
        ),
    )
