"""Reading an .ics file into plain values; nothing here touches the database.

The raw bytes are held to the size limit, decoded (UTF-8, UTF-16/32 with a byte-order mark,
or GB18030), and scanned (structure, nesting, line lengths, the number of events) before any
iCalendar parsing; then each VEVENT is parsed on its own, only the properties the importer
uses, into an ``Entry`` of plain values, so memory and time stay proportional to the file. A
file with a problem there is refused whole (``ReadError``), every problem listed with its
line; a few stray lines (a line folded without its space, text after END:VCALENDAR) are left
out with a note instead. ``importer.py`` applies the entries through the workflow.

Pure, like the conflict rules: no Flask, no database. The caller passes the limits and a
``translate(msgid, **params)`` (importer.py: the settings and flask_babel's gettext).
"""

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Component
from icalendar.timezone import tzp

from ..limits import CONTROL_CHARACTERS, MAX_YEAR, MIN_YEAR
from .zones import ZoneMatch, match_zone, own_zone, zone_key

# Defaults of the IMPORT_* settings (config.py).
MAX_BYTES = 5 * 1024 * 1024
MAX_EVENTS = 500
MAX_LINE_LENGTH = 50_000  # characters of one unfolded line that is read
MAX_OCCURRENCES = 500  # RECURRENCE_MAX_OCCURRENCES: exception dates (EXDATE) of one event
# Fixed bounds. VCALENDAR > VTIMEZONE > STANDARD and VCALENDAR > VEVENT > VALARM are 3 deep.
MAX_DEPTH = 8
MAX_PROPERTIES = 1000  # lines read from one event or time zone (500 EXDATE lines fit)
MAX_TIME_ZONES = 50
MAX_MATCHED_ZONES = 10  # of them matched to an IANA zone (zones.match_zone)
MAX_PROBLEMS = 100  # reading stops there; the first SHOWN_PROBLEMS are listed
SHOWN_PROBLEMS = 20
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


@dataclass(frozen=True)
class Limits:
    """The settings reading obeys (importer.py: import_limits builds them from the config)."""

    max_bytes: int = MAX_BYTES
    max_events: int = MAX_EVENTS
    max_line_length: int = MAX_LINE_LENGTH
    max_occurrences: int = MAX_OCCURRENCES


# (msgid, **params) -> the message in the user's language. Functions here call it ``_``, so
# that `make extract-messages` finds their msgids as it finds the shell's gettext calls.
Translate = Callable[..., str]


def plain(msgid: str, **params) -> str:
    """The message in English, as written here (flask_babel's gettext formats the same way)."""
    return msgid % params if params else msgid


class ReadError(ValueError):
    """A file that cannot be read; ``message`` lists every problem with its line, already
    translated (importer.py turns it into a BadInput for the field "file")."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


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


def read_calendar(
    data: bytes, limits: Limits | None = None, translate: Translate = plain
) -> CalendarFile:
    """Every VEVENT of an .ics file as plain values. Raises ReadError naming each problem and
    its line when the file cannot be read, or breaks a limit; every message (problems, notes,
    an entry's skip and zone_note) is said with ``translate``."""
    limits = limits or Limits()
    _ = translate
    if len(data) > limits.max_bytes:
        _refuse(too_large(limits, _))
    if not data.strip():
        _refuse(_("The file is empty."))
    for signature, kind in _BINARY_KINDS:
        if data.startswith(signature):
            _refuse(_("This is not an iCalendar (.ics) file: it looks like %(kind)s.", kind=kind))
    text, encoding = _decode(data, _)
    notes = []
    if encoding == "gb18030":
        notes.append(_("The file is not UTF-8; it was read as GB18030 (GBK). Check the titles."))
    problems = _Problems(_)
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
            _read_calendar_zone(block, zones, notes, _)
    entries = []
    for block in blocks:
        if block.name == "VEVENT":
            entry = _read_event(block, zones, limits, problems)
            if entry is not None:
                entries.append(entry)
        block.lines.clear()
    problems.raise_any()
    _name_zones(entries, zones, _)
    return CalendarFile(entries, notes)


def too_large(limits: Limits, _: Translate = plain) -> str:
    """The message for a file over the byte limit (also the upload form's 413)."""
    return _("The file is larger than %(limit)s.", limit=_size(limits.max_bytes))


def _refuse(message: str):
    raise ReadError(message)


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(n / 1024))} KB"


class _Problems:
    """Collects what cannot be read, so that all of it is reported at once, and says it with
    the caller's ``translate`` (also used by the functions that are given ``problems``)."""

    def __init__(self, translate: Translate):
        self.found: list[tuple[int, str]] = []
        self.translate = translate

    def add(self, line: int, problem: str, uid: str = "") -> None:
        _ = self.translate
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
        _ = self.translate
        shown = [message for _line, message in sorted(self.found)[:SHOWN_PROBLEMS]]
        more = len(self.found) - len(shown)
        if more:
            shown.append(_("… and %(count)s more problems.", count=more))
        _refuse("\n".join([_("The file was not imported; nothing was changed:"), *shown]))


def _decode(data: bytes, _: Translate) -> tuple[str, str]:
    """The text and the codec it was read with: UTF-8 (a byte-order mark is allowed), UTF-16
    or UTF-32 with a byte-order mark, or GB18030 — which includes GBK and GB2312, what Chinese
    Windows programs write — for bytes that are not UTF-8 but are GB18030."""
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError as exc:
                line = data[: exc.start].decode(codec, "replace").count("\n") + 1
                _refuse(_not_text(label, line, _))
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
        _refuse(_not_text("UTF-8", line, _))
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        _refuse(_not_text("UTF-8 / GB18030 (GBK)", line, _))


def _not_text(encoding: str, line: int, _: Translate) -> str:
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


def snippet(text: str) -> str:
    return text[:40] + ("…" if len(text) > 40 else "")


def _scan(text: str, limits: Limits, problems: _Problems, notes: list[str]) -> list[_Block]:
    """Check the structure and keep the lines of each VEVENT and VTIMEZONE that are read
    (and the calendar's X-WR-TIMEZONE, as a VCALENDAR block). Nesting is tracked with a
    list, so no depth can exhaust the Python stack."""
    _ = problems.translate
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
                text[first.start() : first.start() + 41].partition("\n")[0].rstrip("\r"), number, _
            )
        )
    _find_bad_lines(text, problems, notes)
    scan = _Scanner(text, limits, problems, notes, number)
    for number, content, head, end in lines:
        if problems.full():
            return scan.blocks
        name = _NAME.match(head).group(1).upper()
        if name not in ("BEGIN", "END"):
            scan.property(name, number, content, head)
        elif not scan.component(name, number, content, head, end):
            return scan.blocks
    scan.unclosed()
    return scan.blocks


class _Scanner:
    """What ``_scan`` knows as it goes: the open components (a list, not the Python stack),
    the blocks kept so far and the block being read."""

    def __init__(self, text: str, limits: Limits, problems: _Problems, notes, line: int):
        self.text, self.limits, self.problems, self.notes = text, limits, problems, notes
        self.stack: list[tuple[str, int]] = [("VCALENDAR", line)]  # (component, its BEGIN)
        self.calendar = _Block("VCALENDAR", line)
        self.blocks: list[_Block] = [self.calendar]
        self.block: _Block | None = None
        self.events = self.zones = 0

    def component(self, name: str, number: int, content, head: str, end: int) -> bool:
        """A BEGIN or END line; False when reading stops there."""
        _ = self.problems.translate
        value = content[len(name) + 1 :].strip().upper() if content else ""
        if content is None or content[len(name)] != ":" or not _COMPONENT.fullmatch(value):
            self.problems.add(number, _("“%(text)s” is not an iCalendar line (NAME:value).",
                                        text=snippet(head)))  # fmt: skip
            return False
        if not (self._begin(value, number) if name == "BEGIN" else self._end(value, number)):
            return False
        block = self.block
        if block is not None and block.name == "VTIMEZONE":
            block.lines.append(content)  # its STANDARD and DAYLIGHT parts too
        if name == "END" and len(self.stack) == 1 and block is not None:
            if block.name == "VEVENT":
                block.lines.append("END:VEVENT")
            self.blocks.append(block)
            self.block = None
        if not self.stack:
            _after_the_end(self.text, end, number, self.problems, self.notes)
            return False
        return True

    def _begin(self, value: str, number: int) -> bool:
        _ = self.problems.translate
        problem = _begin_problem(value, self.stack, _)
        if problem:
            self.problems.add(number, problem)
            return False
        if value == "VEVENT":
            self.events += 1
            if self.events > self.limits.max_events:
                _refuse(_("The file has more than %(n)s events.", n=self.limits.max_events))
            if len(self.stack) == 1:
                self.block = _Block("VEVENT", number, ["BEGIN:VEVENT"])
            else:
                self.problems.add(
                    number,
                    _(
                        "a VEVENT must be directly inside the VCALENDAR, not inside "
                        "%(open)s of line %(begin)s.",
                        open=self.stack[-1][0],
                        begin=self.stack[-1][1],
                    ),
                )
        elif value == "VTIMEZONE" and len(self.stack) == 1:
            self.zones += 1
            if self.zones > MAX_TIME_ZONES:
                self.problems.add(number, _("the file defines more than %(n)s time zones.",
                                            n=MAX_TIME_ZONES))  # fmt: skip
                return False
            self.block = _Block("VTIMEZONE", number)
        self.stack.append((value, number))
        return True

    def _end(self, value: str, number: int) -> bool:
        if value != self.stack[-1][0]:
            self.problems.add(number, _end_problem(value, self.stack, self.problems.translate))
            return False
        self.stack.pop()
        return True

    def property(self, name: str, number: int, content, head: str) -> None:
        """Keep a property line the importer reads (X-WR-TIMEZONE, an event's or a zone's)."""
        stack, block, calendar = self.stack, self.block, self.calendar
        if len(stack) == 1 and name == CALENDAR_ZONE and CALENDAR_ZONE not in calendar.where:
            _keep(calendar, name, number, content, head, self.limits, self.problems)
        if block is not None and (
            name in TIME_ZONE_PROPERTIES
            if block.name == "VTIMEZONE"
            else len(stack) == 2 and name in EVENT_PROPERTIES
        ):
            _keep(block, name, number, content, head, self.limits, self.problems)

    def unclosed(self) -> None:
        _ = self.problems.translate
        for open_name, begin in reversed(self.stack):
            self.problems.add(
                begin,
                _(
                    "BEGIN:%(name)s is never closed (END:%(name)s is missing: is the file cut "
                    "off?).",
                    name=open_name,
                ),
            )


def _after_the_end(text: str, end: int, number: int, problems: _Problems, notes) -> None:
    """Text after END:VCALENDAR: a second calendar is refused, anything else (a web page's
    footer, stray bytes) is left out with a note."""
    _ = problems.translate
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
    _ = problems.translate
    ends = [match.start() for match in _END_OF_CALENDAR.finditer(text)]
    number, counted, found = 1, 0, []  # after the last END:VCALENDAR: see _after_the_end
    for match in _NOT_A_LINE.finditer(text, 0, ends[-1] if ends else len(text)):
        number += text.count("\n", counted, match.start())
        counted = match.start()
        line = text[counted : counted + 41].partition("\n")[0].rstrip("\r")
        found.append((number, snippet(line)))
        if len(found) >= MAX_PROBLEMS:
            break
    if len(found) <= MAX_SKIPPED_LINES:
        for number, line in found:
            notes.append(_("Line %(line)s: “%(text)s” is not an iCalendar line (NAME:value); it "
                           "was left out.", line=number, text=line))  # fmt: skip
        return
    for number, line in found:
        problems.add(number, _("“%(text)s” is not an iCalendar line (NAME:value).", text=line))


def _begin_problem(value: str, stack: list, _: Translate) -> str:
    if len(stack) >= MAX_DEPTH:
        return _("components are nested more than %(n)s deep.", n=MAX_DEPTH)
    if value == "VCALENDAR":
        return _("BEGIN:VCALENDAR inside %(open)s of line %(begin)s.", open=stack[-1][0],
                 begin=stack[-1][1])  # fmt: skip
    return ""


def _end_problem(value: str, stack: list, _: Translate) -> str:
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
    _ = problems.translate
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


def _not_a_calendar(first_line: str, number: int, _: Translate) -> str:
    for pattern, kind in _TEXT_KINDS:
        if pattern.match(first_line):
            return _("This is not an iCalendar (.ics) file: it looks like %(kind)s.", kind=kind)
    return _(
        "This is not an iCalendar (.ics) file: it must begin with BEGIN:VCALENDAR, not with "
        "“%(text)s” (line %(line)s).",
        text=snippet(first_line),
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
    _ = problems.translate
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
              tzid=snippet(tzid), n=MAX_PROPERTIES),
        )  # fmt: skip
        return
    for line in block.lines:
        if line.upper().startswith("RRULE") and not _plain_yearly_rule(line.split(":", 1)[-1]):
            problems.add(
                block.line,
                _(
                    "the time zone “%(tzid)s” repeats its changes by a rule time zones do not "
                    "use (%(rule)s); use a standard name such as Asia/Shanghai.",
                    tzid=snippet(tzid),
                    rule=snippet(line),
                ),
            )
            return
    try:
        zones[tzid] = own_zone(block.lines)
    except Exception as exc:  # dateutil raises ValueError and others for bad input
        problems.add(
            block.line,
            _("the time zone “%(tzid)s” cannot be read: %(detail)s", tzid=snippet(tzid),
              detail=str(exc)[:120]),
        )  # fmt: skip


def _read_calendar_zone(block: _Block, zones: dict, notes: list[str], _: Translate) -> None:
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
              "as local time.", name=CALENDAR_ZONE, value=snippet(name))
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


def _name_zones(entries: list[Entry], zones: dict, _: Translate) -> None:
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
                tzid=snippet(own[key]), name=found[key].name, years=years,
            )  # fmt: skip
        else:
            entry.as_given = True
            entry.zone_note = _(
                "no IANA time zone agrees with the file's time zone “%(tzid)s” in %(years)s; "
                "the times were converted with the file's own rules",
                tzid=snippet(own[key]), years=years,
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
            return snippet(line.split(":", 1)[-1]) if ":" in line else ""
    return ""


def _read_event(block: _Block, zones: dict, limits: Limits, problems: _Problems) -> Entry | None:
    """One VEVENT as an Entry; None (its problems added) when it cannot be read."""
    vevent = _parse_event(block, problems)
    if vevent is None:
        return None
    uid = str(vevent.get("UID", "")).strip()
    label = snippet(uid)
    entry = Entry(block.line, uid, str(vevent.get("SUMMARY", "")).strip())
    moments = _read_moments(vevent, entry, block, zones, problems, label)
    if moments is None:
        return None
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
    if not _read_duration(vevent, entry, block, problems, label):
        return None
    if "RRULE" in vevent:
        _read_rule(vevent, entry, limits.max_occurrences, problems.translate)
    return entry


def _parse_event(block: _Block, problems: _Problems):
    """The VEVENT parsed by icalendar; None (its problems added) when it cannot be."""
    _ = problems.translate
    try:
        vevent = Component.from_ical(block.text)
    except Exception as exc:  # icalendar raises ValueError and others for bad input
        problems.add(block.line, _("the event cannot be read: %(detail)s", detail=str(exc)[:120]))
        return None
    if not vevent.errors:
        return vevent
    label = snippet(str(vevent.get("UID", "")).strip())
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


def _read_moments(vevent, entry: Entry, block: _Block, zones, problems, label: str):
    """Property name -> its dates, date-times or periods, in their zones; None (a problem
    added) when one cannot be used. A year out of range marks the entry skipped."""
    _ = problems.translate
    moments: dict[str, list[date]] = {}
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE"):
        for prop in _all(vevent.get(name)):
            listed = name in ("EXDATE", "RDATE")
            for value in [d.dt for d in prop.dts] if listed else [prop.dt]:
                moment, problem = _moment_or_period(name, value, prop, zones, block, _)
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
    return moments


def _read_duration(vevent, entry: Entry, block: _Block, problems, label: str) -> bool:
    """DURATION made the entry's end when it has none; False (a problem added) when the
    duration is not one."""
    _ = problems.translate
    duration = vevent.decoded("DURATION") if "DURATION" in vevent else None
    if duration is not None and not isinstance(duration, timedelta):  # a date, say
        problems.add(
            block.where["DURATION"],
            _("%(name)s cannot be read: “%(value)s”.", name="DURATION",
              value=_raw(block, "DURATION")),
            label,
        )  # fmt: skip
        return False
    if entry.end is None and entry.start is not None and duration is not None and not entry.skip:
        if abs(duration) > timedelta(days=366):
            entry.skip = entry.skip or _("An event may last at most a year.")
        else:
            entry.end = entry.start + duration
    return True


def _read_rule(vevent, entry: Entry, limit: int, _: Translate) -> None:
    """The RRULE as text; too long a rule or more than ``limit`` EXDATEs mark the entry
    skipped."""
    entry.rrule = vevent["RRULE"].to_ical().decode()
    if len(entry.rrule) > MAX_RRULE:
        entry.skip = entry.skip or _(
            "the repetition rule is longer than %(n)s characters.", n=MAX_RRULE
        )
    elif len(entry.exdates) > limit:
        entry.skip = entry.skip or _(
            "the event has more than %(n)s exception dates (EXDATE).", n=limit
        )


def _moment_or_period(name: str, value, prop, zones: dict, block: _Block, _: Translate):
    """_moment, or for a PERIOD (RDATE) its (start, end) with a duration made an end."""
    tzid = prop.params.get("TZID")
    if not isinstance(value, tuple):
        return _moment(name, value, tzid, zones, block, _)
    start, other = value
    start, problem = _moment(name, start, tzid, zones, block, _)
    if problem or not isinstance(start, datetime):
        return None, problem or _("%(name)s cannot be read: “%(value)s”.", name=name,
                                  value=_raw(block, name))  # fmt: skip
    if isinstance(other, timedelta):
        return (start, start + other), ""
    end, problem = _moment(name, other, tzid, zones, block, _)
    return (None, problem) if problem else ((start, end), "")


def _moment(name: str, value, tzid: str | None, zones: dict, block: _Block, _: Translate):
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
            tzid=snippet(tzid),
        )
    return value, ""


def _this_and_future(prop) -> bool:
    prop = prop[0] if isinstance(prop, list) else prop
    return str(prop.params.get("RANGE", "")).upper() == "THISANDFUTURE"


def _all(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
