"""The one way in for changes of people (experts, speakers): pages, API, CLI and the
importer call these. They validate, write an audit entry and flush; the caller commits.
"""

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from .. import directory_input as di
from ..audit.service import record
from ..errors import BadInput, Conflict
from ..extensions import db
from .models import Person
from .schemas import PersonInput


def _refuse_duplicates(person: Person, values: dict) -> None:
    """Slugs are unique; two experts may share a name, but not name and affiliation."""
    slug = values.get("slug", person.slug)
    if slug:
        di.refuse_duplicate(
            Person, person, "slug", slug,
            _("A person with the slug %(slug)s already exists.", slug=slug),
        )  # fmt: skip
    name = values.get("name", person.name)
    affiliation = values.get("affiliation", person.affiliation) or ""
    others = db.select(Person.id).where(Person.name == name, Person.affiliation == affiliation)
    if person.id is not None:
        others = others.where(Person.id != person.id)
    if db.session.scalar(others.limit(1)) is not None:
        raise Conflict(
            _(
                "%(name)s of %(affiliation)s is already in the directory.",
                name=name,
                affiliation=affiliation or "—",
            ),
            field="name",
        )


def _save(person: Person, values: dict, action: str, by) -> Person:
    with db.session.no_autoflush:
        _refuse_duplicates(person, values)
    return di.save_row(
        person,
        values,
        action,
        by,
        entity="person",
        slug_taken=lambda slug: _("A person with the slug %(slug)s already exists.", slug=slug),
    )


def create_person(data: Mapping[str, Any], by) -> Person:
    values = di.validate(PersonInput, data)
    if "name" not in values:
        raise BadInput(_("%(field)s is required.", field="name"), field="name")
    person = Person(title="", affiliation="", scarce=False, monthly_limit=None, active=True)
    return _save(person, values, "create", by)


def update_person(person: Person, data: Mapping[str, Any], by) -> Person:
    return _save(person, di.validate(PersonInput, data), "update", by)


def set_person_active(person: Person, active: bool, by) -> None:
    update_person(person, {"active": active}, by)


def delete_person(person: Person, by) -> None:
    """Refused (409) while an event lists the person as a speaker."""
    speakers = di.table("event_speakers")
    events = di.table("events")
    speaking = db.select(speakers.c.event_id).where(speakers.c.person_id == person.id)
    di.refuse_delete_if_used(person.name, di.event_titles(events.c.id.in_(speaking)), [])
    record("person", person.id, "delete", by, {"slug": [person.slug, None]})
    db.session.delete(person)
    db.session.flush()
