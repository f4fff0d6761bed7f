"""Host applications: a society asks to host (承办) a session of a series in a year.

Editors apply for their own society; organizers may enter applications for any society.
One application per society, series and year: applying again replaces the wishes. The row
is made by an upsert and then changed under its row lock, so applications sent at the same
time never collide (one creates, the others update). Every change is audited.
"""

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from .. import directory_input as di
from ..audit.service import record
from ..database import MAX_ID, serialized_writes
from ..errors import BadInput, Forbidden, NotFound
from ..extensions import db
from ..people.models import Person
from ..series.models import Series
from ..societies.models import Society
from ..types import utcnow
from .models import HostApplication
from .schemas import ApplicationInput


def _dates(value: list[str], name: str, year: int) -> list[str]:
    out = set()
    for item in value:
        try:
            day = date.fromisoformat(item)
        except ValueError:
            day = None
        if day is None or day.year != year:
            raise BadInput(
                _("%(field)s: %(value)s is not a date in %(year)s (use YYYY-MM-DD).",
                  field=name, value=item[:20], year=year),
                field=name,
            )  # fmt: skip
        out.add(day.isoformat())
    return sorted(out)


def _ref(model, value, name: str):
    if isinstance(value, int) and not isinstance(value, bool):
        row = db.session.get(model, value) if abs(value) <= MAX_ID else None
    elif isinstance(value, str) and value:
        row = db.session.scalar(sa.select(model).where(model.slug == value))
    else:
        raise BadInput(_("%(field)s is required.", field=name), field=name)
    if row is None:
        raise BadInput(_("Unknown %(field)s: %(value)s.", field=name, value=value), field=name)
    return row


def _society(given, by) -> Society:
    """Organizers name the society; editors apply for their own."""
    if by.is_organizer:
        return _ref(Society, given, "society")
    if given not in (None, "", by.society.slug, by.society.id):
        raise Forbidden(_("Editors apply for their own society only."))
    return by.society


def save_application(body: dict, by) -> tuple[HostApplication, bool]:
    """Create or replace an application; returns (application, created)."""
    given = di.validate(ApplicationInput, body)
    year = given["year"]
    series = _ref(Series, given["series"], "series")
    if not series.active:
        raise BadInput(_("%(series)s is not active.", series=series.name), field="series")
    society = _society(given.get("society"), by)
    if not society.active:
        raise BadInput(_("%(society)s is not active.", society=society.name), field="society")
    values = {
        "preferred_months": given.get("preferred_months") or [],
        "preferred_dates": _dates(given.get("preferred_dates") or [], "preferred_dates", year),
        "unavailable_dates": _dates(
            given.get("unavailable_dates") or [], "unavailable_dates", year
        ),
        "speaker_ids": sorted(
            {_ref(Person, s, "speakers").id for s in given.get("speakers") or []}
        ),
        "note": given.get("note") or "",
    }
    with serialized_writes():
        app, created = _upsert(society.id, series.id, year, by)
        old = {} if created else {k: getattr(app, k) for k in values}
        changes = {k: [old.get(k), v] for k, v in values.items() if created or old[k] != v}
        for key, value in values.items():
            setattr(app, key, value)
        db.session.flush()
        if created or changes:  # a repeated, identical application changes nothing
            record("host_application", app.id, "apply" if created else "update", by, changes)
        db.session.commit()
    return app, created


def _upsert(society_id: int, series_id: int, year: int, by) -> tuple[HostApplication, bool]:
    """The application row, made if missing (INSERT ... ON CONFLICT DO NOTHING), read
    under its row lock; ``created`` when this call made it."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    key = {"society_id": society_id, "series_id": series_id, "year": year}
    new_id = db.session.scalar(
        dialect.insert(HostApplication)
        .values(**key, created_by_id=by.id, created_at=utcnow(), preferred_months=[],
                preferred_dates=[], unavailable_dates=[], speaker_ids=[], note="")
        .on_conflict_do_nothing(index_elements=list(key))
        .returning(HostApplication.id)
    )  # fmt: skip
    app = db.session.execute(
        sa.select(HostApplication)
        .filter_by(**key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    return app, new_id is not None


def get_application(app_id: int, by) -> HostApplication:
    app = db.session.get(HostApplication, app_id)
    if app is None or not (by.is_organizer or app.society_id == by.society_id):
        raise NotFound(_("Application %(id)s does not exist.", id=app_id))
    return app


def withdraw_application(app: HostApplication, by) -> None:
    record("host_application", app.id, "withdraw", by, {"series": app.series.slug})
    db.session.delete(app)
    db.session.commit()


def list_applications(year: int, by, series_id: int | None = None) -> list[HostApplication]:
    """Applications of the year (organizers: all; editors: their society's)."""
    stmt = (
        sa.select(HostApplication)
        .join(Society, Society.id == HostApplication.society_id)
        .where(HostApplication.year == year)
        .order_by(HostApplication.series_id, HostApplication.created_at, HostApplication.id)
    )
    if series_id is not None:
        stmt = stmt.where(HostApplication.series_id == series_id)
    if not by.is_organizer:
        stmt = stmt.where(HostApplication.society_id == by.society_id)
    return list(db.session.scalars(stmt))


def application_to_json(app: HostApplication, people: dict | None = None) -> dict:
    people = people or {}
    return {
        "id": app.id,
        "series": app.series.slug,
        "society": app.society.slug,
        "year": app.year,
        "preferred_months": list(app.preferred_months or []),
        "preferred_dates": list(app.preferred_dates or []),
        "unavailable_dates": list(app.unavailable_dates or []),
        "speakers": [people.get(p, p) for p in app.speaker_ids or []],
        "note": app.note,
    }


def speaker_slugs(apps: list[HostApplication]) -> dict:
    ids = {p for a in apps for p in a.speaker_ids or []}
    if not ids:
        return {}
    return dict(
        db.session.execute(sa.select(Person.id, Person.slug).where(Person.id.in_(ids))).all()
    )
