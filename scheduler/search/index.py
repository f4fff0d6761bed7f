"""Writing the search documents: built in SQL from the events and the names they show, and
rewritten before each commit that changed one of them (a session hook), so a renamed venue
is found under its new name at once.

A document has one line per field, in the order of FIELDS; a field with several values
(speakers, co-hosts) separates them by tabs. Newlines and tabs inside values become spaces,
so a line is always one field; a search term never holds either (it is split on whitespace).
"""

import functools
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from ..bounded import values_in
from ..campaigns.models import Campaign
from ..events.models import Event, event_cohosts, event_organizers, event_speakers
from ..people.models import Person
from ..series.models import Series
from ..societies.models import Society
from ..venues.models import Venue
from .models import EventSearch

FIELDS = (
    "title",
    "description",
    "venue",
    "speakers",
    "host",
    "cohosts",
    "organizers",
    "series",
    "campaign",
)
LINE, VALUE = "\n", "\t"

# The attributes whose change rewrites documents, per model (relationships included: an
# event's speakers change without any column of its row changing).
WATCHED = {
    Event: (
        *("title", "description", "venue_id", "host_id", "series_id", "campaign_id"),
        *("venue", "host", "series", "campaign", "cohosts", "organizing_societies", "speakers"),
    ),
    Venue: ("name", "address", "city"),
    Person: ("name", "title", "affiliation"),
    Society: ("name", "short_name"),
    Series: ("name",),
    Campaign: ("name", "theme"),
}


@dataclass
class Changed:
    """Ids of the rows whose change touches documents, collected over a transaction."""

    ids: dict[type, set[int]] = field(default_factory=dict)

    def add(self, model: type, row_id: int | None) -> None:
        if row_id is not None:
            self.ids.setdefault(model, set()).add(row_id)

    def __bool__(self) -> bool:
        return any(self.ids.values())


def _flat(expr):
    """A value on one line: NULL as "", newlines and tabs as spaces."""
    out = sa.func.coalesce(expr, "")
    for char in ("\r", "\n", "\t"):
        out = sa.func.replace(out, char, " ")
    return out


def _values(*exprs, joiner: str = VALUE):
    out = _flat(exprs[0])
    for expr in exprs[1:]:
        out = out + joiner + _flat(expr)
    return out


def _names(link: sa.Table, key: str, model, *columns, joiner: str = VALUE):
    """The values of an event's linked rows (co-hosts, speakers), tab-separated; the
    columns of one row joined by ``joiner``."""
    value = _values(*columns, joiner=joiner)
    names = (
        sa.select(sa.func.aggregate_strings(value, VALUE))
        .select_from(link.join(model, model.id == link.c[key]))
        .where(link.c.event_id == Event.id)
        .correlate(Event)
        .scalar_subquery()
    )
    return sa.func.coalesce(names, "")


SPEAKER_COLUMNS = (Person.name, Person.title, Person.affiliation)


def documents_select(*conditions) -> sa.Select:
    """(event_id, document) of the events matching ``conditions``, in one statement."""
    return _documents().where(*conditions)


@functools.cache
def _documents() -> sa.Select:
    """Every event's document: built once per process (a statement is immutable; building
    this one took longer than running it, on every commit that changed an event)."""
    host = aliased(Society, name="host")
    parts = [
        _flat(Event.title),
        _flat(Event.description),
        _values(Venue.name, Venue.address, Venue.city),
        # One value per speaker: "王明 院士 中山大学" reads as one person where it was found.
        _names(event_speakers, "person_id", Person, *SPEAKER_COLUMNS, joiner=" "),
        _values(host.name, host.short_name),
        _names(event_cohosts, "society_id", Society, Society.name, Society.short_name),
        _names(event_organizers, "society_id", Society, Society.name, Society.short_name),
        _flat(Series.name),
        _values(Campaign.name, Campaign.theme),
    ]
    document = parts[0]
    for part in parts[1:]:
        document = document + LINE + part
    return (
        sa.select(Event.id, document)
        .select_from(Event)
        .join(host, host.id == Event.host_id)
        .outerjoin(Venue, Venue.id == Event.venue_id)
        .outerjoin(Series, Series.id == Event.series_id)
        .outerjoin(Campaign, Campaign.id == Event.campaign_id)
    )


def _affected(changed: Changed) -> sa.ColumnElement[bool]:
    """Events whose document shows one of the changed rows."""
    ids = changed.ids
    conds = []
    if ids.get(Event):
        conds.append(values_in(Event.id, ids[Event]))
    if ids.get(Venue):
        conds.append(values_in(Event.venue_id, ids[Venue]))
    if ids.get(Series):
        conds.append(values_in(Event.series_id, ids[Series]))
    if ids.get(Campaign):
        conds.append(values_in(Event.campaign_id, ids[Campaign]))
    if ids.get(Person):
        speaking = sa.select(event_speakers.c.event_id).where(
            values_in(event_speakers.c.person_id, ids[Person])
        )
        conds.append(Event.id.in_(speaking))
    if ids.get(Society):
        societies = ids[Society]
        linked = sa.union(
            sa.select(Event.id).where(values_in(Event.host_id, societies)),
            *(
                sa.select(t.c.event_id).where(values_in(t.c.society_id, societies))
                for t in (event_cohosts, event_organizers)
            ),
        )
        conds.append(Event.id.in_(linked))
    return sa.or_(*conds)


def write_documents(connection, *conditions) -> None:
    """Insert or update the documents of the events matching ``conditions`` (one statement;
    an unchanged document is left alone, so the index does no work for it)."""
    chosen = documents_select(*conditions)
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(EventSearch).from_select(["event_id", "document"], chosen)
    stmt = stmt.on_conflict_do_update(
        index_elements=[EventSearch.event_id],
        set_={"document": stmt.excluded.document},
        where=EventSearch.document != stmt.excluded.document,
    )
    connection.execute(stmt)


def rebuild_all(connection) -> None:
    """Every event's document (after a bulk load that bypassed the session, or a restore)."""
    write_documents(connection, sa.true())


def _collect(session: Session) -> None:
    changed = session.info.setdefault("search_changed", Changed())
    for obj in session.new:
        if isinstance(obj, Event):
            changed.add(Event, obj.id)
    for obj in session.dirty:
        watched = WATCHED.get(type(obj))
        if watched is None:
            continue
        state = sa.inspect(obj)
        if any(state.attrs[name].history.has_changes() for name in watched):
            changed.add(type(obj), obj.id)


_installed = False


def install() -> None:
    """Register the session hooks (global to every session, so once per process)."""
    global _installed
    if _installed:
        return
    _installed = True

    @sa.event.listens_for(Session, "after_flush")
    def collect(session, flush_context):
        _collect(session)

    @sa.event.listens_for(Session, "before_commit")
    def rewrite(session):
        session.flush()  # what the commit would flush, collected above
        changed = session.info.pop("search_changed", None)
        if changed:
            write_documents(session.connection(), _affected(changed))

    @sa.event.listens_for(Session, "after_rollback")
    def forget(session):
        session.info.pop("search_changed", None)
