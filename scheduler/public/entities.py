"""Public pages of the directory: each society, venue, speaker and series with its facts,
its feed and its upcoming and past events (routes on the public blueprint).

A page costs a fixed number of statements whatever the number of events: the entity, its
upcoming occurrences and its past ones, read as the calendar's rows (events/queries.py).
Upcoming and past part at the start of the local day, so a page is the same all day for
every visitor (the page cache keys on the day).
"""

from urllib.parse import urlencode

import sqlalchemy as sa
from flask import render_template, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ..enums import EventKind
from ..errors import NotFound
from ..events.queries import EventFilters, list_occurrences, speaks_in_public
from ..extensions import db
from ..feeds.links import subscribe_links
from ..people.models import Person
from ..series.cadence import describe_cadence
from ..series.models import Series
from ..societies.models import Society
from ..timeutil import local_midnight_utc, local_today, to_local
from ..venues.models import Venue
from .views import bp

# Each list shows at most this many occurrences; "more" opens the filtered calendar.
UPCOMING_LIMIT = 20
PAST_LIMIT = 20
# An index lists at most this many names (a nation's directory is longer: search then).
INDEX_LIMIT = 1000


@bp.get("/societies/<slug>")
def society_page(slug: str):
    society = _active(Society, slug, _("Society %(slug)s does not exist.", slug=slug))
    return _render("society", society, "societies", society_ids=[society.id])


@bp.get("/venues/<slug>")
def venue_page(slug: str):
    venue = _active(Venue, slug, _("Venue %(slug)s does not exist.", slug=slug))
    return _render("venue", venue, "venues", venue_ids=[venue.id], maps=map_links(venue))


@bp.get("/speakers/<slug>")
def speaker_page(slug: str):
    # Only speakers of a public event have a page: the directory's other people stay private.
    person = _active(
        Person, slug, _("Speaker %(slug)s does not exist.", slug=slug), speaks_in_public()
    )
    return _render("speaker", person, "speakers", speaker_ids=[person.id])


@bp.get("/series/<slug>")
def series_page(slug: str):
    series = _active(Series, slug, _("Series %(slug)s does not exist.", slug=slug))
    cadence = describe_cadence(series.cadence_rrule)
    return _render("series", series, "series", series_ids=[series.id], cadence=cadence)


@bp.get("/societies")
def society_index():
    return _index("society", Society, Society.city, Society.name)


@bp.get("/venues")
def venue_index():
    return _index("venue", Venue, Venue.city, Venue.name)


@bp.get("/speakers")
def speaker_index():
    return _index("speaker", Person, Person.name, where=speaks_in_public())


@bp.get("/series")
def series_index():
    return _index("series", Series, Series.name)


def _index(page: str, model, *order, where=None):
    """The active entities of one kind by ``order``, at most INDEX_LIMIT (one query)."""
    stmt = sa.select(model).where(model.active.is_(True)).order_by(*order, model.id)
    if where is not None:
        stmt = stmt.where(where)
    rows = db.session.scalars(stmt.limit(INDEX_LIMIT + 1)).all()
    return render_template(
        "public/entity_index.html",
        page=page,
        rows=rows[:INDEX_LIMIT],
        truncated=len(rows) > INDEX_LIMIT,
    )


@bp.context_processor
def entity_url_prefixes() -> dict:
    """The pages' URLs without the slug, so that calendar rows link their series, host and
    venue by concatenation instead of a url_for per row."""
    return {
        "entity_urls": {
            name: url_for(endpoint, slug="_").removesuffix("_")
            for name, endpoint in (
                ("society", "public.society_page"),
                ("venue", "public.venue_page"),
                ("series", "public.series_page"),
                ("speaker", "public.speaker_page"),
            )
        }
    }


def _active(model, slug: str, missing: str, *conditions):
    """The active row with this slug (one query), else the site's 404 page."""
    row = db.session.scalar(
        sa.select(model).where(model.slug == slug, model.active.is_(True), *conditions)
    )
    if row is None:
        raise NotFound(missing)
    return row


# The calendar's filter argument for each feed kind ("more" links to the filtered calendar).
FILTER_ARG = {"societies": "society", "venues": "venue", "speakers": "speaker", "series": "series"}


def _render(page: str, entity, feed_kind: str, maps=None, cadence=None, **scope):
    upcoming, past = entity_events(scope)
    feed = {"kind": feed_kind, "slug": entity.slug}
    return render_template(
        f"public/entity_{page}.html",
        entity=entity,
        upcoming=by_local_day(upcoming[:UPCOMING_LIMIT]),
        more_upcoming=len(upcoming) > UPCOMING_LIMIT,
        past=by_local_day(past),
        calendar_url=url_for("public.calendar", **{FILTER_ARG[feed_kind]: entity.slug}),
        feed_url=url_for("feeds.scoped", **feed),
        subscribe=subscribe_links(MultiDict(), entity.name, "feeds.scoped", **feed),
        maps=maps,
        cadence=cadence,
        # What each row of public/_occurrence.html needs, built once per page.
        kind_labels={kind: str(kind.label) for kind in EventKind},
        event_url=url_for("public.event_page", event_id=0).removesuffix("0"),
    )


def entity_events(scope: dict) -> tuple[list, list]:
    """(upcoming, past) public occurrences of the scope (EventFilters attributes): those
    ending today or later by start (one more than shown, to know there are more), and the
    last PAST_LIMIT that ended before today, newest first. Two statements."""
    today = local_midnight_utc(local_today())
    upcoming = list_occurrences(EventFilters(start=today, **scope), limit=UPCOMING_LIMIT + 1)
    # Started before today: those still running are upcoming, so a few more are read.
    running = sum(1 for occ in upcoming if occ.start_at < today)
    past = list_occurrences(
        EventFilters(end=today, **scope), limit=PAST_LIMIT + running, newest_first=True
    )
    return upcoming, [occ for occ in past if occ.end_at <= today][:PAST_LIMIT]


def by_local_day(occurrences: list) -> dict:
    """{local date: occurrences} in the order given (for the lists' day headings)."""
    days: dict = {}
    for occ in occurrences:
        days.setdefault(to_local(occ.start_at).date(), []).append(occ)
    return days


def map_links(venue: Venue) -> list[tuple[str, str]]:
    """(label, URL) of map searches for a physical venue: Amap (at its coordinates when
    known) and OpenStreetMap. Plain links: no third-party script runs on the page."""
    if venue.is_online:
        return []
    place = " ".join(p for p in (venue.city, venue.address or venue.name) if p)
    if venue.latitude is not None and venue.longitude is not None:
        amap = "https://uri.amap.com/marker?" + urlencode(
            {"position": f"{venue.longitude},{venue.latitude}", "name": venue.name}
        )
    else:
        amap = "https://uri.amap.com/search?" + urlencode({"keyword": place, "city": venue.city})
    osm = "https://www.openstreetmap.org/search?" + urlencode({"query": place})
    return [(_("Amap"), amap), (_("OpenStreetMap"), osm)]
