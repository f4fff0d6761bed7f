"""Directory rows as the core's plain facts (``rules/facts.py``): the one place the conflict
check (``conflicts.py``) and the planner's loader (``planner/load.py``) turn a venue, a
series or a campaign into values the rules and the solver read."""

from ..campaigns.models import Campaign
from ..rules.facts import CampaignFacts, SeriesFacts, VenueFacts
from ..series.models import HostMode, Series
from ..venues.models import Venue
from .enums import EventKind


def venue_facts(v: Venue, **planning) -> VenueFacts:
    """``planning``: the planner's busy spans and closures of the venue."""
    return VenueFacts(
        id=v.id,
        name=v.name,
        city=v.city,
        capacity=v.capacity,
        buffer_minutes=v.buffer_minutes,
        is_online=v.is_online,
        **planning,
    )


def host_maximum(series: Series, host_id: int) -> int | None:
    """The series' maximum per host, none for its fixed host (it takes every session)."""
    if series.host_mode == HostMode.FIXED and series.fixed_host_id == host_id:
        return None
    return series.max_per_host


def series_facts(s: Series, **planning) -> SeriesFacts:
    """The series row's facts; ``planning``: what the planner works out for the year (its
    sessions, slots, campaign, ...) and the maximum per host that applies."""
    row = {
        "id": s.id,
        "name": s.name,
        "target_max": s.target_max,
        "max_per_host": s.max_per_host,
        "min_spacing_days": s.min_spacing_days,
        "avoid_holidays": s.avoid_holidays,
        "slug": s.slug,
        "kind": s.kind.value,
        "duration_minutes": s.duration_minutes,
        "expected_attendance": s.expected_attendance,
        "avoid_weekends": s.avoid_weekends,
        "target_min": s.target_min,
        "default_venue_id": s.default_venue_id,
    }
    return SeriesFacts(**{**row, **planning})


def kind_names(kinds, own: str) -> dict:
    """Event kind value -> its name in the user's language (for the campaign kind rule)."""
    wanted = {*(kinds or ()), own}
    return {k.value: str(k.label) for k in EventKind if k.value in wanted}


def campaign_facts(c: Campaign, kind: str | None = None) -> CampaignFacts:
    """``kind``: the checked event's kind, to name it and the campaign's kinds in a finding
    (the planner plans series of the campaign's own kinds and leaves them out)."""
    return CampaignFacts(
        id=c.id,
        name=c.name,
        start_date=c.start_date,
        end_date=c.end_date,
        launch_at=c.launch_at,
        event_kinds=frozenset(c.event_kinds or ()) if kind is not None else frozenset(),
        kind_names=kind_names(c.event_kinds, kind) if kind is not None else {},
    )
