"""Why a series cannot have its sessions, counted without the solver (plain values only).

Each count is an upper bound on the sessions a series can have, from one more kind of
fact at a time: its applicants and their quota; the venues that hold its audience; its
allowed dates (weekdays, campaign window, spacing from what is on the calendar) minus the
days its venues are closed; minus the times they are booked, with their set-up buffer;
minus the times every applicant is busy. The first count that falls short names the cause
(so closures plus spacing are never called "no free hall"). Two series that only the same
one to three halls can hold are counted together over their windows. ``explain.py``, the
solver's cores, only answers what these counts cannot.
"""

from dataclasses import replace
from datetime import timedelta

from . import candidates as cd
from .types import Instance, Reason, SeriesFacts, VenueFacts

MAX_NAMED = 3  # venues named in a sentence
SHARED_HALLS = 3  # series sharing at most this many halls are counted together


def shortfall(inst: Instance, s: SeriesFacts) -> tuple[int, list[Reason]]:
    """(the most sessions of ``s`` the counts allow, why) — ``why`` is empty when the
    counts allow all of ``s.sessions``."""
    blocked = pins_blocked(inst, s)
    if blocked:
        return 0, blocked
    apps = cd.applicants(inst, s)
    hostable = sum(min(s.sessions, cd.remaining(s, a.host_id)) for a in apps)
    if hostable < s.sessions:
        params = {"series": s.name, "needed": s.sessions, "applicants": len(apps),
                  "max": s.max_per_host, "available": hostable}  # fmt: skip
        return hostable, [Reason("hosts_short", params, s.id)]
    fitting = [v for v in inst.venues if cd.venue_fits(s, v)]
    if not fitting:
        params = {"series": s.name, "people": s.expected_attendance, "city": s.city}
        return 0, [Reason("no_venue_fits", params, s.id)]
    allowed = [c for c in cd.series_candidates(inst, s) if c.allowed]
    fit = cd.max_sessions(allowed, s)
    if fit < s.sessions:
        params = {"series": s.name, "needed": s.sessions, **_facts(inst, s, allowed)}
        return fit, [Reason("dates_short", params, s.id)]
    open_ = [c for c in allowed if any(not cd.closed(v, c.day) for v in fitting)]
    fit = cd.max_sessions(open_, s)
    if fit < s.sessions:
        return fit, [_closed(inst, s, fitting, allowed, open_, fit)]
    cals = [cd.VenueCalendar(v) for v in fitting]
    free = [c for c in open_ if any(cal.free(c) for cal in cals)]
    fit = cd.max_sessions(free, s)
    if fit < s.sessions:
        return fit, [_booked(inst, s, fitting, open_, free, fit)]
    calendars = cd.host_calendars(inst)
    hosts = [calendars[(s.id, a.host_id)] for a in apps if cd.remaining(s, a.host_id)]
    ready = [c for c in free if any(h.free(c) for h in hosts)]
    fit = cd.max_sessions(ready, s)
    if fit < s.sessions:
        params = {"series": s.name, "needed": s.sessions, "applicants": len(apps),
                  "quota": False, **_facts(inst, s, free)}  # fmt: skip
        return fit, [Reason("hosts_busy", params, s.id)]
    return s.sessions, []


def pins_blocked(inst: Instance, s: SeriesFacts) -> list[Reason]:
    """Pinned dates of ``s`` that cannot stay, with what holds them: outside its allowed
    dates or spacing, the pinned venue closed or booked (with its buffer), the pinned host
    busy or unavailable."""
    out = []
    starts = {c.start: c for c in cd.series_candidates(inst, s)}
    venues = {v.id: v for v in inst.venues}
    calendars = cd.host_calendars(inst)
    for pin in inst.pins:
        c = starts.get(pin.start) if pin.series_id == s.id else None
        if c is None:
            continue
        groups = [name for name, ok in (("window", c.in_window), ("spacing", c.spaced)) if not ok]
        venue = venues.get(pin.venue_id)
        if venue is not None and not cd.VenueCalendar(venue).free(c):
            groups.append("venues_free")
        host = calendars.get((s.id, pin.host_id))
        if host is not None and not host.free(c):
            groups.append("hosts_free")
        if groups:
            out.append(Reason("pin_blocked", {**pin_facts(inst, s, pin), "groups": groups}, s.id))
    return out


def pin_facts(inst: Instance, s: SeriesFacts, pin) -> dict:
    hosts = {h.id: h.name for h in inst.hosts}
    venues = {v.id: v.name for v in inst.venues}
    return {
        "series": s.name,
        "start": pin.start.astimezone(inst.tz).strftime("%Y-%m-%d %H:%M") if pin.start else "",
        "host": hosts.get(pin.host_id, "") if pin.host_id else "",
        "venue": venues.get(pin.venue_id, "") if pin.venue_id else "",
    }


def _names(venues: list[VenueFacts]) -> str:
    names = [v.name for v in venues[:MAX_NAMED]]
    return "、".join(names) + ("…" if len(venues) > MAX_NAMED else "")


def _facts(inst: Instance, s: SeriesFacts, cands: list) -> dict:
    """The window of ``s`` and how many days of it ``cands`` leave, for sentences."""
    days = sorted({c.day for c in cands})
    first, last = (s.campaign.start_date, s.campaign.end_date) if s.campaign else (None, None)
    first = first or (days[0] if days else None)
    last = last or (days[-1] if days else None)
    return {
        "days": len(days),
        "weekdays": sorted(s.weekdays),
        "year": inst.year,
        "campaign": s.campaign.name if s.campaign else "",
        "first": first.isoformat() if first else "",
        "last": last.isoformat() if last else "",
        "spacing": s.min_spacing_days,
        "people": s.expected_attendance,
        "city": s.city,
    }


def _closed(inst, s: SeriesFacts, fitting, allowed, open_, fit) -> Reason:
    """The venues that hold ``s`` are closed on too many of its dates."""
    days = {c.day for c in allowed}
    shut = [v for v in fitting if any(cd.closed(v, d) for d in days)]
    spans = sorted({(a, b) for v in shut for a, b in v.closures
                    if any(a <= d <= b for d in days)})  # fmt: skip
    params = {"series": s.name, "needed": s.sessions, "fit": fit, "venues": _names(shut),
              "closures": ", ".join(f"{a.isoformat()}–{b.isoformat()}" for a, b in spans),
              **_facts(inst, s, open_)}  # fmt: skip
    return Reason("dates_closed", params, s.id)


def _booked(inst, s: SeriesFacts, fitting, open_, free, fit) -> Reason:
    """The venues that hold ``s`` are booked: by their set-up buffer alone, when without
    it the sessions would fit; else by the bookings themselves."""
    bare = [cd.VenueCalendar(_without_buffer(v)) for v in fitting]
    unpadded = [c for c in open_ if any(cal.free(c) for cal in bare)]
    if cd.max_sessions(unpadded, s) >= s.sessions:
        padded = [v for v in fitting if v.buffer_minutes]
        padded.sort(key=lambda v: (-v.buffer_minutes, v.id))
        params = {"series": s.name, "needed": s.sessions, "fit": fit,
                  "venues": _names(padded), "minutes": padded[0].buffer_minutes,
                  **_facts(inst, s, free)}  # fmt: skip
        return Reason("buffer_blocks", params, s.id)
    facts = _facts(inst, s, open_)
    params = {"series": s.name, "needed": s.sessions, "free": len({c.day for c in free}),
              "venues": _names(fitting), **facts}  # fmt: skip
    return Reason("venues_short", params, s.id)


def _without_buffer(v: VenueFacts) -> VenueFacts:
    return replace(v, buffer_minutes=0)


# --- two series, the same few halls ---------------------------------------------------------


def shared_halls(inst: Instance, a: SeriesFacts, b: SeriesFacts) -> tuple[int, Reason] | None:
    """When only the same few halls hold ``a`` and ``b`` and they cannot take both series'
    sessions in their windows: (how many sessions the halls can take there, why)."""
    fit_a = {v.id for v in inst.venues if cd.venue_fits(a, v)}
    fit_b = {v.id for v in inst.venues if cd.venue_fits(b, v)}
    halls = [v for v in inst.venues if v.id in fit_a | fit_b]
    if not fit_a & fit_b or len(halls) > SHARED_HALLS or not (fit_a <= fit_b or fit_b <= fit_a):
        return None
    cands = [c for s in (a, b) for c in cd.series_candidates(inst, s) if c.allowed]
    if not cands:
        return None
    room = sum(_pack(cd.VenueCalendar(v), cands) for v in halls)
    if room >= a.sessions + b.sessions:
        return None
    days = sorted({c.day for c in cands})
    params = {"series": [a.name, b.name], "venues": _names(halls), "free": room,
              "needed": a.sessions + b.sessions, "first": days[0].isoformat(),
              "last": days[-1].isoformat()}  # fmt: skip
    return room, Reason("halls_shared", params, b.id)


def _pack(cal: cd.VenueCalendar, cands: list) -> int:
    """The most sessions (any of ``cands``) the venue can hold one after another, with its
    buffer between them: the earliest-ending first, as in interval scheduling."""
    count, free_from = 0, None
    for c in sorted(cands, key=lambda c: (c.end, c.start)):
        if not cal.free(c) or (free_from is not None and c.start < free_from):
            continue
        count, free_from = count + 1, c.end + timedelta(minutes=cal.venue.buffer_minutes)
    return count
