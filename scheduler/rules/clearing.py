"""Suggestions that clear every error: each candidate time or venue is checked again, in
memory with the same context, and offered only if the event moved there keeps no error
that a change of time or place could clear.

A candidate moves the whole event (every occurrence shifts by the same amount), as the
form's start and end do.
"""

from dataclasses import replace
from datetime import timedelta

from .engine import check
from .facts import VenueFacts
from .types import Booking, Context, Finding, Proposal, Suggestion

# Errors no other time or venue clears: they do not make a suggestion useless.
FIXED_BY_NEITHER = frozenset({"campaign_kind", "series_quota", "host_quota"})
# Distinct candidates checked per event (the rest are not offered).
MAX_CANDIDATES = 24
# Offered per finding: moves in the same venue, and other venues at the same time.
SAME_VENUE, OTHER_VENUES = 3, 3
# How many raw candidates the engine gathers per finding before this filter.
POOL = 8

Key = tuple[timedelta, int | None]


def clearing_suggestions(p: Proposal, ctx: Context, findings: list[Finding]) -> list[Finding]:
    """``findings`` with only the suggestions that clear every error."""
    verdicts: dict[Key, bool] = {}
    out = []
    for f in findings:
        kept, same, other = [], 0, 0
        for s in f.suggestions:
            key = _key(p, f, s)
            if key is None:
                continue
            if key not in verdicts and len(verdicts) < MAX_CANDIDATES:
                verdicts[key] = _clears(p, ctx, key)
            is_same = ctx.venue is not None and s.venue_id == ctx.venue.id
            if not verdicts.get(key) or (same if is_same else other) >= (
                SAME_VENUE if is_same else OTHER_VENUES
            ):
                continue
            kept.append(s)
            same, other = same + is_same, other + (not is_same)
        out.append(replace(f, suggestions=tuple(kept)))
    return out


def _key(p: Proposal, f: Finding, s: Suggestion) -> Key | None:
    anchor = f.occurrence_start or (p.slots[0][0] if p.slots else None)
    return None if anchor is None else (s.start - anchor, s.venue_id)


def _clears(p: Proposal, ctx: Context, key: Key) -> bool:
    shift, venue_id = key
    moved = replace(
        p,
        slots=tuple((start + shift, end + shift) for start, end in p.slots),
        venue_id=venue_id if venue_id is not None else p.venue_id,
    )
    moved_ctx = _context_at(ctx, venue_id)
    if moved_ctx is None:
        return False
    return not any(
        f.severity == "error" and f.rule not in FIXED_BY_NEITHER for f in check(moved, moved_ctx)
    )


def _context_at(ctx: Context, venue_id: int | None) -> Context | None:
    """The context for the event held in ``venue_id``: that venue's facts and busy spans."""
    quiet = replace(ctx, suggestion_pool=0)
    if venue_id is None or (ctx.venue is not None and ctx.venue.id == venue_id):
        return quiet
    venue: VenueFacts | None = next((v for v in ctx.other_venues if v.id == venue_id), None)
    if venue is None:
        return None
    busy = tuple(
        Booking(event_id=-1, title="", start=s, end=e, host_id=-1, venue_id=venue.id)
        for s, e in ctx.other_venue_busy.get(venue.id, ())
    )
    return replace(quiet, venue=venue, bookings=ctx.bookings + busy)
