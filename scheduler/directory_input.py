"""Input parsing shared by the directory services (societies, venues, people, ...).

Values come JSON-typed from the API or as strings from forms and spreadsheet cells; each
parser accepts both and raises BadInput naming the field. The areas declare their bodies once
as pydantic models built from these parsers (``Text``, ``Whole``, ... below: each carries its
limit into the check and into the API document) and validate with ``validate``. No Flask
request, no commit.
"""

import math
import re
import unicodedata
import zlib
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from .audit.service import record
from .database import serialized_writes
from .errors import BadInput, Conflict, RequestError
from .extensions import db
from .limits import CONTROL_CHARACTERS, MAX_YEAR, MIN_YEAR

INTEGER = re.compile(r"-?[0-9]{1,12}")
DECIMAL = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,15})?")
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
URL = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)
MAX_SLUG = 80
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "on", "是", "启用", "对"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "off", "否", "停用", "不", ""})

Parser = Callable[[Any, str], Any]


def refuse_unknown_keys(data: Mapping[str, Any], allowed) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise BadInput(
            _("Unknown fields: %(fields)s.", fields=", ".join(unknown)[:200]), field=unknown[0]
        )


def text(value, name: str, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # a spreadsheet cell holding a number
    if not isinstance(value, str):
        raise BadInput(_("%(field)s must be text.", field=name), field=name)
    value = value.strip()
    if required and not value:
        raise BadInput(_("%(field)s is required.", field=name), field=name)
    if CONTROL_CHARACTERS.search(value):
        raise BadInput(_("%(field)s contains control characters.", field=name), field=name)
    if len(value) > limit:
        raise BadInput(
            _("%(field)s is longer than %(limit)s characters.", field=name, limit=limit),
            field=name,
        )
    return value


def boolean(value, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS:
        return True
    if isinstance(value, str) and value.strip().lower() in FALSE_WORDS:
        return False
    raise BadInput(_("%(field)s must be true or false.", field=name), field=name)


def out_of_range(name: str, low, high) -> BadInput:
    """The error of a value outside ``low``..``high``."""
    return BadInput(
        _("%(field)s must be between %(low)s and %(high)s.", field=name, low=low, high=high),
        field=name,
    )


def event_year(year: int, name: str) -> None:
    """Refuse a year the events may not have (MIN_YEAR to MAX_YEAR, scheduler/limits.py)."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise out_of_range(name, MIN_YEAR, MAX_YEAR)


def integer(value, name: str, low: int, high: int, optional: bool = False) -> int | None:
    """An integer from an int or ASCII digits; "" or None is None when optional."""
    if optional and (value is None or (isinstance(value, str) and not value.strip())):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet's 3.0
    if isinstance(value, str) and INTEGER.fullmatch(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadInput(_("%(field)s must be a whole number.", field=name), field=name)
    if not low <= value <= high:
        raise out_of_range(name, low, high)
    return value


def decimal(value, name: str, low: float, high: float) -> float | None:
    """A finite number from a number or a plain decimal string; "" or None is None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and DECIMAL.fullmatch(value.strip()):
        value = float(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadInput(_("%(field)s must be a number.", field=name), field=name)
    if not math.isfinite(value) or not low <= value <= high:
        raise out_of_range(name, low, high)
    return float(value)


def email(value, name: str, limit: int) -> str:
    value = text(value, name, limit)
    if value and not EMAIL.fullmatch(value):
        raise BadInput(_("%(field)s is not a valid e-mail address.", field=name), field=name)
    return value


def web_address(value, name: str, limit: int) -> str:
    value = text(value, name, limit)
    if value and not URL.fullmatch(value):
        raise BadInput(
            _("%(field)s must be an http:// or https:// address.", field=name), field=name
        )
    return value


def slug(value, name: str = "slug") -> str:
    value = text(value, name, MAX_SLUG, required=True)
    if not SLUG.fullmatch(value):
        raise BadInput(
            _(
                "%(field)s may hold only lower-case letters a-z, digits and single hyphens.",
                field=name,
            ),
            field=name,
        )
    return value


def choice(value, name: str, enum_cls):
    """An enum member by value, or by its label in either language."""
    raw = text(value, name, 80, required=True)
    for member in enum_cls:
        if raw.lower() == member.value:
            return member
    for locale in ("zh", "en"):
        with force_locale(locale):
            for member in enum_cls:
                if raw.lower() == str(member.label).lower():
                    return member
    raise BadInput(
        _(
            "%(field)s must be one of: %(allowed)s.",
            field=name,
            allowed=", ".join(enum_cls.values()),
        ),
        field=name,
    )


def slug_from_name(model, name: str, prefix: str) -> str:
    """A free slug made from the name: its ASCII letters and digits, else (a Chinese name, or
    one whose only ASCII is a number such as 2027) prefix + a hash of the name."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    base = "-".join(re.findall(r"[a-z0-9]+", folded))[:60].strip("-")
    if not re.search(r"[a-z]", base):
        base = f"{prefix}-{zlib.crc32(name.encode()):08x}"
    taken = set(
        db.session.scalars(
            sa.select(model.slug).where(sa.or_(model.slug == base, model.slug.like(f"{base}-%")))
        )
    )
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def audit_value(value):
    if hasattr(value, "slug"):
        return value.slug
    if hasattr(value, "value"):
        return value.value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def apply_values(obj, values: Mapping[str, Any]) -> dict:
    """Set the parsed values on ``obj``; returns {field: [old, new]} of those that changed."""
    changes = {}
    for key, value in values.items():
        old = audit_value(getattr(obj, key, None))
        setattr(obj, key, value)
        new = audit_value(value)
        if old != new:
            changes[key] = [old, new]
    return changes


# --- bodies declared once: pydantic models whose fields run the parsers above ---------------


class Body(BaseModel):
    """A request body: undeclared fields are refused, and every field is optional (a change
    sends only what changes; the service names what a new row needs)."""

    model_config = ConfigDict(extra="forbid")


def _field_name(info) -> str:
    """The name a message gives the field: its key, or the label a page passes in the
    validation context (``{"labels": {key: label}}``)."""
    labels = (info.context or {}).get("labels") or {}
    return str(labels.get(info.field_name, info.field_name))


def checked(parser: Parser, **options) -> BeforeValidator:
    """Run ``parser(value, name, **options)`` before pydantic's own check: the value gets the
    parser's lenient reading (numbers and yes/no as text, stripping) and its exact message."""

    def run(value, info):
        try:
            return parser(value, _field_name(info), **options)
        except RequestError as refused:
            message = {"message": refused.message}
            raise PydanticCustomError("bad_input", "{message}", message) from None

    return BeforeValidator(run)


# Field types, named like types: each passes its limit both to the parser (the check) and to
# Field (the document), so the two cannot differ.


def Text(limit: int, required: bool = False, description: str | None = None):
    """Text, stripped; numbers (a spreadsheet cell) become text; null is ""."""
    return Annotated[
        str,
        checked(text, limit=limit, required=required),
        Field(max_length=limit, min_length=1 if required else None, description=description),
    ]


def Whole(low: int, high: int, *, optional=False, blank=None, description=None):
    """A whole number, also as digits; "" or null is None when ``optional``, else ``blank``
    when one is given."""

    def parse(value, name):
        if blank is not None and (value is None or (isinstance(value, str) and not value.strip())):
            return blank
        return integer(value, name, low, high, optional=optional)

    bounded = Annotated[int, Field(ge=low, le=high)]
    return Annotated[
        bounded | None if optional else bounded, checked(parse), Field(description=description)
    ]


def Number(low: float, high: float, description: str | None = None):
    """A finite number, also as a decimal string; "" or null is None."""
    bounded = Annotated[float, Field(ge=low, le=high)]
    return Annotated[
        bounded | None, checked(decimal, low=low, high=high), Field(description=description)
    ]


Flag = Annotated[
    bool,
    checked(boolean),
    Field(description="Also as text: true/false, yes/no, on/off, 1/0, 是/否."),
]


def Email(limit: int):
    return Annotated[
        str,
        checked(email, limit=limit),
        Field(max_length=limit, json_schema_extra={"pattern": f"^({EMAIL.pattern})?$"}),
    ]


def WebAddress(limit: int, description: str | None = None):
    return Annotated[
        str,
        checked(web_address, limit=limit),
        Field(max_length=limit, description=description or "An http:// or https:// address."),
    ]


Slug = Annotated[
    str,
    checked(slug),
    Field(
        max_length=MAX_SLUG,
        json_schema_extra={"pattern": f"^{SLUG.pattern}$"},
        description="Made from the name when absent.",
    ),
]


def _slug_or_none(value, name: str) -> str | None:
    value = text(value, name, MAX_SLUG)
    return value or None


# The slug of another row (the service looks it up); "" or null for none.
SlugOrNone = Annotated[Annotated[str, Field(max_length=MAX_SLUG)] | None, checked(_slug_or_none)]


def Choice(enum_cls):
    """A member of ``enum_cls`` by value, or by its label in Chinese or English."""
    return Annotated[enum_cls, checked(choice, enum_cls=enum_cls)]


def validate(model: type[BaseModel], data: Mapping[str, Any]) -> dict:
    """``data`` checked by ``model``: {key: value} of the keys given, in the body's order.
    Unknown keys are refused first; then the first key at fault (in the body's order) becomes
    a BadInput naming it."""
    if not isinstance(data, Mapping):
        raise BadInput(_("The request body must be a JSON object."))
    refuse_unknown_keys(data, model.model_fields)
    try:
        body = model.model_validate(dict(data), context={"labels": {}})
    except ValidationError as exc:
        key, message = next(iter(_messages(exc, list(data), {}).items()))
        raise BadInput(message, field=key) from None
    return {key: getattr(body, key) for key in data}


def field_errors(model: type[BaseModel], data: Mapping[str, Any], labels=None) -> dict:
    """{key: message} of every field of ``data`` the model refuses (a page shows each next to
    its field); ``labels`` {key: label} name the fields in the messages."""
    labels = labels or {}
    try:
        model.model_validate(dict(data), context={"labels": labels})
    except ValidationError as exc:
        return _messages(exc, list(data), labels)
    return {}


def _messages(exc: ValidationError, keys: list, labels: Mapping) -> dict:
    found: dict = {}
    for error in exc.errors():
        key = str(error["loc"][0]) if error["loc"] else ""
        found.setdefault(key, _message(error, str(labels.get(key, key))))
    order = {key: n for n, key in enumerate(keys)}
    return dict(sorted(found.items(), key=lambda item: order.get(item[0], len(keys))))


def _message(error: dict, name: str) -> str:
    if error["type"] == "bad_input":
        return error["ctx"]["message"]
    if error["type"] == "missing":
        return _("%(field)s is required.", field=name)
    if error["type"] == "extra_forbidden":
        return _("Unknown fields: %(fields)s.", fields=name)
    if error["type"] == "string_too_long":
        limit = error["ctx"]["max_length"]
        return _("%(field)s is longer than %(limit)s characters.", field=name, limit=limit)
    return _("The request is not valid.")


def refuse_duplicate(model, obj, column: str, value, message: str) -> None:
    """409 when another row of ``model`` has ``value`` in ``column``."""
    stmt = sa.select(model.id).where(getattr(model, column) == value)
    if obj.id is not None:
        stmt = stmt.where(model.id != obj.id)
    if db.session.scalar(stmt.limit(1)) is not None:
        raise Conflict(message, field=column)


def refuse_name_or_slug_taken(model, obj, values: Mapping[str, Any], name_taken, slug_taken):
    """409 when another row of ``model`` already has the name or the slug in ``values``;
    ``name_taken(name)`` and ``slug_taken(slug)`` give the messages."""
    for column, message in (("name", name_taken), ("slug", slug_taken)):
        if column in values:
            refuse_duplicate(model, obj, column, values[column], message(values[column]))


def flush_unique(obj, message: str) -> None:
    """Flush ``obj``; a unique key the database refuses (a race) becomes a 409."""
    try:
        with db.session.begin_nested():
            db.session.add(obj)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise Conflict(message) from None


def save_row(row, values: Mapping[str, Any], action: str, by, *, entity: str, slug_taken):
    """The last steps of a directory save, once its checks passed: apply the values, give a
    new row a slug made from its name, flush (a slug the database refuses in a race is a 409,
    ``slug_taken(slug)`` says so) and write one audit entry when anything changed."""
    changes = apply_values(row, values)
    if not row.slug:
        row.slug = slug_from_name(type(row), row.name, entity)
        changes["slug"] = [None, row.slug]
    flush_unique(row, slug_taken(row.slug))
    if changes or action == "create":
        record(entity, row.id, action, by, changes)
    return row


def table(name: str) -> sa.Table:
    """A table by name: reference checks look at higher layers (events, planner) without
    importing their modules."""
    return db.metadata.tables[name]


def first_names(stmt, limit: int = 5) -> list[str]:
    """Up to ``limit`` names from a select of one text column (to say what refers to a row)."""
    return list(db.session.scalars(stmt.limit(limit)))


def event_titles(condition, limit: int = 5) -> list[str]:
    """Up to ``limit`` titles of the events matching ``condition`` (on the events table)."""
    events = table("events")
    return first_names(sa.select(events.c.title).where(condition).order_by(events.c.id), limit)


def is_used(column, row_id: int) -> bool:
    return db.session.scalar(sa.select(column).where(column == row_id).limit(1)) is not None


def refuse_delete_if_used(name: str, titles: list[str], others: list[str]) -> None:
    """409 naming up to 5 referencing events and the other uses."""
    reasons = [_("event “%(title)s”", title=t) for t in titles] + others
    if reasons:
        raise Conflict(
            _(
                "%(name)s cannot be deleted because it is used by: %(uses)s. "
                "Deactivate it instead.",
                name=name,
                uses="; ".join(reasons),
            )
        )


def write(change, *args, **kwargs):
    """Run one service call as its own transaction (pages and API): commit, or roll back
    everything on refusal."""
    with serialized_writes():
        try:
            result = change(*args, **kwargs)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    return result


def require(data: Mapping[str, Any], keys) -> None:
    """A new row needs these keys (their values are checked by the parsers)."""
    if not isinstance(data, Mapping):
        raise BadInput(_("The request body must be a JSON object."))
    for key in keys:
        if key not in data:
            raise BadInput(_("%(field)s is required.", field=key), field=key)


def without_empty_slug(data: Mapping[str, Any]) -> dict:
    """A new row's empty slug means "make it from the name"."""
    data = dict(data)
    if data.get("slug") in ("", None):
        data.pop("slug", None)
    return data
