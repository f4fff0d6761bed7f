"""The one way in for changes of series: create, update, (de)activate, delete.

Pages, the API, the CLI and the importer call these; values come JSON-typed or as strings
and are parsed here. The planner's extra settings of a series (time slots, city, the
campaign it falls inside, ...) live in ``SeriesPlanning`` and are edited as series fields.
Nothing here commits: the caller does.
"""

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import directory_input as parse
from ..audit.service import record
from ..campaigns.models import Campaign
from ..enums import EventKind
from ..errors import BadInput, Conflict
from ..extensions import db
from ..societies.models import Society
from ..venues.models import Venue
from .models import HostMode, Series, SeriesPlanning
from .schemas import DAYS_IN_YEAR, SeriesInput

PLANNING_FIELDS = ("time_slots", "city", "inside_campaign", "at_launch", "avoid_campaigns")


# --- references to other rows ------------------------------------------------------------


def _by_slug(model, value, name: str):
    """The row with this slug, None for "" or null; BadInput when there is none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    slug = parse.text(value, name, parse.MAX_SLUG)
    row = db.session.scalar(sa.select(model).where(model.slug == slug))
    if row is None:
        raise BadInput(_("Unknown %(field)s: %(value)s.", field=name, value=slug), field=name)
    return row


def _active_venue(value, name: str) -> Venue | None:
    venue = _by_slug(Venue, value, name)
    if venue is not None and not venue.active:
        raise BadInput(_("%(name)s is inactive.", name=venue.name), field=name)
    return venue


REFERENCES = {
    "default_venue": _active_venue,
    "fixed_host": lambda v, n: _by_slug(Society, v, n),
    "inside_campaign": lambda v, n: _by_slug(Campaign, v, n),
}


def _values(data: Mapping[str, Any]) -> dict:
    """The body checked by its model, with the slugs of other rows looked up."""
    values = parse.validate(SeriesInput, data)
    for key, find in REFERENCES.items():
        if key in values:
            values[key] = find(values[key], key)
    return values


# --- rules across fields ------------------------------------------------------------------


def _check_targets(series: Series) -> None:
    if series.target_min > series.target_max:
        raise BadInput(
            _(
                "The annual minimum (%(min)s) must not be above the maximum (%(max)s).",
                min=series.target_min,
                max=series.target_max,
            ),
            field="target_min",
        )
    spacing = series.min_spacing_days
    if series.target_min > 1 and (series.target_min - 1) * spacing > DAYS_IN_YEAR:
        raise BadInput(
            _(
                "%(n)s sessions at least %(days)s days apart do not fit in one year.",
                n=series.target_min,
                days=spacing,
            ),
            field="min_spacing_days",
        )


def _check_venue(series: Series) -> None:
    venue = series.default_venue
    if venue is not None and venue.capacity < series.expected_attendance:
        raise BadInput(
            _(
                "%(venue)s holds %(capacity)s people but %(expected)s are expected.",
                venue=venue.name,
                capacity=venue.capacity,
                expected=series.expected_attendance,
            ),
            field="default_venue",
        )


def _check_host(series: Series, given: dict) -> None:
    host = series.fixed_host
    if series.host_mode == HostMode.FIXED and host is None:
        raise BadInput(_("A series with a fixed host needs that host."), field="fixed_host")
    if host is not None and {"fixed_host", "host_mode"} & set(given) and not host.active:
        raise BadInput(
            _("%(name)s is inactive and cannot be the fixed host.", name=host.name),
            field="fixed_host",
        )


def _check_planning(series: Series, planning: SeriesPlanning) -> None:
    if planning.at_launch and planning.inside_campaign is None:
        raise BadInput(
            _("Choose the campaign whose unified launch the session is."), field="at_launch"
        )
    campaign = planning.inside_campaign
    if campaign is not None and campaign.event_kinds and series.kind not in campaign.event_kinds:
        raise BadInput(
            _(
                "%(campaign)s contains only %(kinds)s; this series is a %(kind)s.",
                campaign=campaign.name,
                kinds=_(", ").join(str(EventKind(k).label) for k in campaign.event_kinds),
                kind=series.kind.label,
            ),
            field="inside_campaign",
        )


# --- the service --------------------------------------------------------------------------


def _apply(series: Series, data: Mapping[str, Any]) -> dict:
    values = _values(data)
    planning_values = {k: values.pop(k) for k in PLANNING_FIELDS if k in values}
    parse.refuse_name_or_slug_taken(
        Series,
        series,
        values,
        lambda name: _("A series named %(name)s already exists.", name=name),
        lambda slug: _("A series with the slug %(slug)s already exists.", slug=slug),
    )
    changes = parse.apply_values(series, values)
    if series.host_mode == HostMode.APPLICATIONS and series.fixed_host is not None:
        changes.update(parse.apply_values(series, {"fixed_host": None}))
    _check_targets(series)
    _check_venue(series)
    _check_host(series, values)
    if planning_values or series.id is None or "kind" in values:
        changes.update(_apply_planning(series, planning_values))
    return changes


def _apply_planning(series: Series, values: dict) -> dict:
    planning = planning_of(series) or SeriesPlanning(series=series)
    changes = parse.apply_values(planning, values)
    if planning.inside_campaign is None and planning.at_launch and "at_launch" not in values:
        changes.update(parse.apply_values(planning, {"at_launch": False}))
    _check_planning(series, planning)
    db.session.add(planning)
    return changes


def planning_of(series: Series) -> SeriesPlanning | None:
    if series.id is None:
        return None
    return db.session.scalar(sa.select(SeriesPlanning).where(SeriesPlanning.series_id == series.id))


def _duplicate_message(series: Series) -> str:
    return _("A series with the slug %(slug)s already exists.", slug=series.slug)


def create_series(data: Mapping[str, Any], by) -> Series:
    parse.require(data, ("name", "kind"))
    data = parse.without_empty_slug(data)
    series = Series(
        description="",
        cadence_rrule="",
        target_min=0,
        target_max=0,
        max_per_host=1,
        preferred_months=[],
        preferred_weekdays=[],
        default_start_time="14:30",
        duration_minutes=180,
        min_spacing_days=0,
        expected_attendance=0,
        avoid_holidays=True,
        avoid_weekends=False,
        color="#1f6feb",
        active=True,
        host_mode=HostMode.APPLICATIONS,
    )
    with db.session.no_autoflush:
        changes = _apply(series, data)
        if not series.slug:
            series.slug = parse.slug_from_name(Series, series.name, "series")
            changes["slug"] = [None, series.slug]
    parse.flush_unique(series, _duplicate_message(series))
    record("series", series.id, "create", by, changes=changes)
    return series


def update_series(series: Series, data: Mapping[str, Any], by) -> Series:
    with db.session.no_autoflush:
        changes = _apply(series, data)
    parse.flush_unique(series, _duplicate_message(series))
    if changes:
        record("series", series.id, "update", by, changes=changes)
    return series


def set_series_active(series: Series, active: bool, by) -> None:
    if series.active == active:
        return
    if active and series.host_mode == HostMode.FIXED and not series.fixed_host.active:
        raise BadInput(
            _("%(name)s is inactive and cannot be the fixed host.", name=series.fixed_host.name),
            field="fixed_host",
        )
    record(
        "series",
        series.id,
        "activate" if active else "deactivate",
        by,
        changes={"active": [series.active, active]},
    )
    series.active = active
    db.session.flush()


def delete_series(series: Series, by) -> None:
    """Refused (409) while events belong to the series; deactivate it instead."""
    titles = parse.event_titles(parse.table("events").c.series_id == series.id)
    if titles:
        raise Conflict(
            _(
                "%(name)s has events (%(titles)s): deactivate it instead of deleting it.",
                name=series.name,
                titles="、".join(titles),
            )
        )
    record("series", series.id, "delete", by, changes={"slug": [series.slug, None]})
    planning = planning_of(series)
    if planning is not None:
        db.session.delete(planning)
    db.session.delete(series)
    db.session.flush()
