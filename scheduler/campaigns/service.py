"""The one way in for changes of campaigns: create, update, (de)activate, delete.

Pages, the API and the CLI call these; values come JSON-typed or as strings and are parsed
here. Nothing here commits: the caller does.
"""

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import directory_input as parse
from ..audit.service import record
from ..enums import EventKind
from ..errors import BadInput, Conflict
from ..extensions import db
from ..series.models import Series, SeriesPlanning
from ..timeutil import local_zone, to_local
from .models import Campaign
from .schemas import CampaignInput


def _check_window(campaign: Campaign) -> None:
    if campaign.end_date < campaign.start_date:
        raise BadInput(_("The campaign must not end before it starts."), field="end_date")
    launch = campaign.launch_at
    if launch is None:
        return
    first = datetime.combine(campaign.start_date, time(0), local_zone())
    last = datetime.combine(campaign.end_date, time.max, local_zone())
    if not first <= launch <= last:
        raise BadInput(
            _(
                "The unified launch (%(launch)s) must lie inside the campaign, from "
                "%(first)s to %(last)s.",
                launch=to_local(launch).strftime("%Y-%m-%d %H:%M"),
                first=campaign.start_date.isoformat(),
                last=campaign.end_date.isoformat(),
            ),
            field="launch_at",
        )


def _apply(campaign: Campaign, data: Mapping[str, Any]) -> dict:
    values = parse.validate(CampaignInput, data)
    parse.refuse_name_or_slug_taken(
        Campaign,
        campaign,
        values,
        lambda name: _("A campaign named %(name)s already exists.", name=name),
        lambda slug: _("A campaign with the slug %(slug)s already exists.", slug=slug),
    )
    changes = parse.apply_values(campaign, values)
    _check_window(campaign)
    if "event_kinds" in values and campaign.id is not None:
        _check_series_inside(campaign)
    return changes


def _check_series_inside(campaign: Campaign) -> None:
    """Series planned inside the campaign must be of a kind it contains (their sessions are
    tagged with it)."""
    if not campaign.event_kinds:
        return
    names = parse.first_names(
        sa.select(Series.name)
        .join(SeriesPlanning, SeriesPlanning.series_id == Series.id)
        .where(
            SeriesPlanning.inside_campaign_id == campaign.id,
            Series.kind.not_in([EventKind(k) for k in campaign.event_kinds]),
        )
        .order_by(Series.name)
    )
    if names:
        raise BadInput(
            _(
                "Series of other kinds must fall inside %(name)s (%(series)s): add their "
                "kinds or change their planner settings first.",
                name=campaign.name,
                series=_(", ").join(names),
            ),
            field="event_kinds",
        )


def create_campaign(data: Mapping[str, Any], by) -> Campaign:
    parse.require(data, ("name", "kind", "start_date", "end_date"))
    data = parse.without_empty_slug(data)
    campaign = Campaign(theme="", description="", event_kinds=[])
    with db.session.no_autoflush:
        changes = _apply(campaign, data)
        if not campaign.slug:
            campaign.slug = parse.slug_from_name(Campaign, campaign.name, "campaign")
            changes["slug"] = [None, campaign.slug]
    parse.flush_unique(
        campaign, _("A campaign with the slug %(slug)s already exists.", slug=campaign.slug)
    )
    record("campaign", campaign.id, "create", by, changes=changes)
    return campaign


def update_campaign(campaign: Campaign, data: Mapping[str, Any], by) -> Campaign:
    with db.session.no_autoflush:
        changes = _apply(campaign, data)
    parse.flush_unique(
        campaign, _("A campaign with the slug %(slug)s already exists.", slug=campaign.slug)
    )
    if changes:
        record("campaign", campaign.id, "update", by, changes=changes)
    return campaign


def set_campaign_active(campaign: Campaign, active: bool, by) -> None:
    """Campaigns have no active flag: a campaign ends with its window. Kept for the
    directory contract; asking to deactivate one is refused with that reason."""
    if not active:
        raise BadInput(_("A campaign ends with its window; change its dates or delete it instead."))


def delete_campaign(campaign: Campaign, by) -> None:
    """Refused (409) while events are tagged with the campaign or a series must fall
    inside it."""
    titles = parse.event_titles(parse.table("events").c.campaign_id == campaign.id)
    if titles:
        raise Conflict(
            _(
                "%(name)s has events (%(titles)s): it cannot be deleted.",
                name=campaign.name,
                titles="、".join(titles),
            )
        )
    series = parse.first_names(
        sa.select(Series.name)
        .join(SeriesPlanning, SeriesPlanning.series_id == Series.id)
        .where(SeriesPlanning.inside_campaign_id == campaign.id)
        .order_by(Series.name)
    )
    if series:
        raise Conflict(
            _(
                "Series must fall inside %(name)s (%(series)s): change their planner "
                "settings first.",
                name=campaign.name,
                series="、".join(series),
            )
        )
    record("campaign", campaign.id, "delete", by, changes={"slug": [campaign.slug, None]})
    db.session.delete(campaign)
    db.session.flush()
