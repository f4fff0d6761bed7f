"""Rows through the directory services, a whole file in one transaction: each row creates its
thing or updates the one with the same slug (or name), and the report lists every row's
outcome. A dry run writes nothing; a real run writes nothing if any row is bad, unless the
bad rows are to be skipped (then the others are written and the skipped ones listed)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..accounts import service as accounts
from ..accounts.models import User
from ..database import serialized_writes
from ..directory_input import audit_value
from ..errors import BadInput, RequestError
from ..extensions import db
from ..people import service as people
from ..people.models import Person
from ..societies import service as societies
from ..societies.models import Society
from ..venues import service as venues
from ..venues.models import Venue
from .reader import KINDS, Sheet, read_file

MAX_ROWS = 5000  # per sheet; DIRECTORY_IMPORT_MAX_ROWS overrides it
OUTCOMES = ("created", "updated", "unchanged", "error", "skipped")


@dataclass
class Item:
    kind: str
    sheet: str
    row: int
    label: str  # the row's slug, name or e-mail
    outcome: str  # one of OUTCOMES
    message: str = ""


@dataclass
class Result:
    items: list[Item] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False

    def count(self, outcome: str) -> int:
        return sum(1 for item in self.items if item.outcome == outcome)

    @property
    def bad(self) -> list[Item]:
        return [item for item in self.items if item.outcome in ("error", "skipped")]

    def summary(self) -> str:
        counts = {o: self.count(o) for o in OUTCOMES}
        return _(
            "%(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
            "%(error)s with errors, %(skipped)s skipped",
            **counts,
        )


@dataclass(frozen=True)
class Kind:
    """How rows of one kind find their existing row and reach the service."""

    find: Callable[[dict], Any]
    create: Callable[[dict, Any], Any]
    update: Callable[[Any, dict, Any], Any]
    label: Callable[[Any], str]


def _one(stmt):
    return db.session.scalars(stmt.limit(2)).all()


def _by_slug_or(model, values: dict, *same: str):
    """The row with the given slug, else the one row with the same ``same`` fields."""
    if values.get("slug"):
        return db.session.scalar(sa.select(model).where(model.slug == str(values["slug"]).strip()))
    if not all(isinstance(values.get(key, ""), str) for key in same) or not values.get(same[0]):
        return None
    where = [getattr(model, key) == values.get(key, "").strip() for key in same]
    rows = _one(sa.select(model).where(*where))
    return rows[0] if len(rows) == 1 else None


def _user(values: dict):
    email = values.get("email")
    if not isinstance(email, str) or not email.strip():
        return None
    return db.session.scalar(
        sa.select(User).where(sa.func.lower(User.email) == email.strip().lower())
    )


def _with_society_slug(values: dict) -> dict:
    """The users sheet may name the society by slug, name or short name: the service takes
    the slug."""
    given = values.get("society")
    if not isinstance(given, str) or not given.strip():
        return values
    given = given.strip()
    if db.session.scalar(sa.select(Society.id).where(Society.slug == given)):
        return values
    named = sa.or_(Society.name == given, Society.short_name == given)
    slugs = db.session.scalars(sa.select(Society.slug).where(named).limit(2)).all()
    return {**values, "society": slugs[0]} if len(slugs) == 1 else values


def _invite(values: dict, by):
    user, _url = accounts.invite_user(_with_society_slug(values), by)
    return user


def _update_user(user: User, values: dict, by):
    values = {k: v for k, v in _with_society_slug(values).items() if k != "email"}
    return accounts.update_user(user, values, by)


KIND_SPECS = {
    "societies": Kind(
        lambda v: _by_slug_or(Society, v, "name"), societies.create_society,
        societies.update_society, lambda s: s.slug,
    ),
    "venues": Kind(
        lambda v: _by_slug_or(Venue, v, "name", "city"), venues.create_venue,
        venues.update_venue, lambda s: s.slug,
    ),
    "people": Kind(
        lambda v: _by_slug_or(Person, v, "name", "affiliation"), people.create_person,
        people.update_person, lambda s: s.slug,
    ),
    "users": Kind(_user, _invite, _update_user, lambda u: u.email),
}  # fmt: skip


def _state(obj, keys) -> dict:
    return {key: audit_value(getattr(obj, key, None)) for key in keys}


def _apply(kind: str, values: dict, by, seen: dict) -> tuple[str, str, int]:
    """Create or update one row; (outcome, label). Raises BadInput for a bad row, and for a
    row that names the same thing as an earlier row of the file (``seen``: id -> row)."""
    spec = KIND_SPECS[kind]
    existing = spec.find(values)
    if existing is None:
        obj, outcome = spec.create(values, by), "created"
    else:
        if existing.id in seen:
            raise BadInput(
                _("This row names the same entry as row %(row)s.", row=seen[existing.id])
            )
        before = _state(existing, values)
        obj = spec.update(existing, values, by)
        outcome = "updated" if _state(existing, values) != before else "unchanged"
    return outcome, spec.label(obj), obj.id


def _label(values: dict) -> str:
    for key in ("slug", "email", "name"):
        if values.get(key) not in (None, ""):
            return str(values[key])[:80]
    return ""


def import_sheets(sheets: list[Sheet], by, dry_run: bool = False, skip_bad: bool = False):
    """Every row in its own savepoint inside one transaction; see the module's docstring."""
    result = Result(dry_run=dry_run)
    with serialized_writes():
        try:
            for sheet in sheets:
                seen: dict[int, int] = {}
                for row in sheet.rows:
                    result.items.append(_row(sheet, row, by, skip_bad and not dry_run, seen))
            keep = not dry_run and (skip_bad or not result.bad)
            if keep:
                db.session.commit()
                result.written = True
            else:
                db.session.rollback()
        except BaseException:
            db.session.rollback()
            raise
    return result


def _row(sheet: Sheet, row, by, skipping: bool, seen: dict) -> Item:
    item = Item(sheet.kind, sheet.name, row.number, _label(row.values), "error")
    try:
        with db.session.begin_nested():
            item.outcome, item.label, row_id = _apply(sheet.kind, row.values, by, seen)
        seen[row_id] = row.number
    except RequestError as exc:
        item.outcome, item.message = "skipped" if skipping else "error", exc.message
    except (sa.exc.IntegrityError, sa.exc.DataError):
        # What the services did not foresee, the database refuses: this row only.
        item.outcome = "skipped" if skipping else "error"
        item.message = _("The database refused this row (a duplicate or a value out of range).")
    return item


def import_directory(data: bytes, filename: str, by, kind: str | None = None,
                     dry_run: bool = False, skip_bad: bool = False) -> Result:  # fmt: skip
    """Read the file (xlsx or CSV) and import its rows: the one entry of page and CLI."""
    max_rows = current_app.config.get("DIRECTORY_IMPORT_MAX_ROWS", MAX_ROWS)
    sheets = read_file(data, filename, kind or None, max_rows)
    if not any(sheet.rows for sheet in sheets):
        raise BadInput(_("%(file)s has no rows to import.", file=filename), field="file")
    return import_sheets(sheets, by, dry_run=dry_run, skip_bad=skip_bad)


__all__ = ["KINDS", "OUTCOMES", "Item", "Result", "import_directory", "import_sheets"]
