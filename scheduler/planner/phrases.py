"""Plain words for the planner's structured reasons, in the reader's language.

The core returns ``Reason(code, params)``; plans store them as JSON; pages, the API and
the CLI phrase them here when shown, so a plan reads in Chinese or English alike.
"""

from collections.abc import Callable

from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

GROUP_LABELS = {
    "window": _l("its allowed dates"),
    "spacing": _l("the minimum spacing between sessions"),
    "capacity": _l("venues large enough"),
    "venues_free": _l("venues free of other bookings"),
    "host_quota": _l("the limit of sessions per society"),
    "hosts_free": _l("hosts free of their own events"),
}
PINNED_LABELS = {"date": _l("date"), "host": _l("host"), "venue": _l("venue")}
CHANGE_LABELS = {"new": _l("new"), "kept": _l("unchanged"), "moved": _l("moved")}


def _list(items) -> str:
    return _(", ").join(str(i) for i in items)


def _groups(names) -> str:
    return _list(GROUP_LABELS.get(n, n) for n in names)


def weekday_names(days) -> str:
    names = get_day_names("wide", locale=get_locale() or "zh_CN")
    return _list(names[d] for d in days)


def _kind_of_days(p: dict) -> str:
    days = p.get("weekdays") or []
    if sorted(days) == [5, 6]:
        return _("weekend days")
    if not days:
        return _("days")
    return _("days on %(names)s", names=weekday_names(days))


def _window(p: dict) -> str:
    if p.get("campaign"):
        return _(
            "in %(campaign)s (%(first)s to %(last)s)",
            campaign=p["campaign"],
            first=p.get("first", ""),
            last=p.get("last", ""),
        )
    return _("in %(year)s", year=p.get("year", ""))


def _pin_details(p: dict) -> str:
    return _list(v for v in (p.get("start"), p.get("host"), p.get("venue")) if v)


# Input that cannot be planned
_INPUT: dict[str, Callable[[dict], str]] = {
    "no_applicants": lambda p: _("No society has applied to host %(series)s yet.", **p),
    "too_many": lambda p: _(
        "%(series)s needs %(needed)s sessions at least %(spacing)s days apart, but only "
        "%(fit)s fit on its dates in %(year)s.",
        **p,
    ),
    "nothing_to_plan": lambda p: _(
        "Every chosen series already has its sessions for %(year)s: nothing to plan.", **p
    ),
    "pin_outside_year": lambda p: _("A pinned date of %(series)s is not in %(year)s.", **p),
    "pin_host_not_applicant": lambda p: _(
        "A pinned host of %(series)s has not applied to host it.", **p
    ),
    "pin_host_quota": lambda p: _(
        "A pinned host of %(series)s already has its %(max)s sessions this year.", **p
    ),
    "pin_venue_unfit": lambda p: (
        _(
            "The pinned venue %(venue)s cannot take %(series)s: it must hold %(people)s "
            "people and be in %(city)s.",
            **p,
        )
        if p.get("city")
        else _(
            "The pinned venue %(venue)s cannot take %(series)s: it must hold %(people)s people.",
            **p,
        )
    ),
}

# Notes
_NOTES: dict[str, Callable[[dict], str]] = {
    "series_full": lambda p: _(
        "%(series)s already has its %(target)s sessions this year; it is left as it is.", **p
    ),
    "fewer_sessions": lambda p: _(
        "Only %(planned)s of the %(target)s sessions of %(series)s fit on its dates; the "
        "plan has %(planned)s.",
        **p,
    ),
    "fewer_hosts": lambda p: _(
        "%(series)s gets %(planned)s of its %(target)s sessions: %(applicants)s societies "
        "applied and each may host %(max)s.",
        **p,
    ),
    "fewer_counted": lambda p: _(
        "%(series)s gets %(planned)s of its %(target)s sessions: %(why)s",
        series=p.get("series"),
        planned=p.get("planned"),
        target=p.get("target"),
        why=" ".join(phrase_all(p.get("why"))),
    ),
    "fewer_possible": lambda p: _(
        "%(series)s gets %(planned)s of its %(target)s sessions: more do not fit on its "
        "dates, venues and hosts.",
        **p,
    ),
    "not_planned": lambda p: _(
        "%(series)s is not planned: %(why)s",
        series=p.get("series"),
        why=" ".join(phrase_all(p.get("why"))),
    ),
    "rotation_relaxed": lambda p: _rotation(p),
    "wall_clock_stop": lambda p: _(
        "The search was stopped by the wall clock (%(seconds)s s) before its deterministic "
        "budget: the machine was busy, and the same input may give another plan.",
        **p,
    ),
    "existing_counted": lambda p: _(
        "%(series)s already has %(count)s events this year (%(dates)s): they count toward "
        "its maximum and its spacing.",
        **p,
    ),
}

# Why there is no plan
_NO_PLAN: dict[str, Callable[[dict], str]] = {
    "hosts_short": lambda p: _hosts_short(p),
    "no_venue_fits": lambda p: (
        _("No venue in %(city)s holds %(people)s people.", **p)
        if p.get("city")
        else _("No venue holds %(people)s people.", **p)
    ),
    "venues_short": lambda p: _venues_short(p),
    "hosts_busy": lambda p: _(
        "The %(applicants)s societies that applied for %(series)s are busy or unavailable "
        "on the %(days)s %(kind_of_days)s left %(window)s: its %(needed)s sessions do not "
        "fit around their own events.",
        applicants=p.get("applicants"),
        series=p.get("series"),
        days=p.get("days"),
        kind_of_days=_kind_of_days(p),
        window=_window(p),
        needed=p.get("needed"),
    ),
    "dates_short": lambda p: (
        _(
            "%(series)s needs %(needed)s sessions at least %(spacing)s days apart, but the "
            "%(days)s %(kind_of_days)s left %(window)s cannot hold them.",
            series=p.get("series"),
            needed=p.get("needed"),
            spacing=p.get("spacing"),
            days=p.get("days"),
            kind_of_days=_kind_of_days(p),
            window=_window(p),
        )
        if p.get("spacing")
        else _(
            "%(series)s needs %(needed)s sessions, but only %(days)s %(kind_of_days)s are "
            "left %(window)s.",
            series=p.get("series"),
            needed=p.get("needed"),
            days=p.get("days"),
            kind_of_days=_kind_of_days(p),
            window=_window(p),
        )
    ),
    "together": lambda p: _(
        "%(series)s: these cannot all hold together: %(groups)s.",
        series=p.get("series"),
        groups=_groups(p.get("groups", [])),
    ),
    "compete": lambda p: (
        _(
            "%(series)s cannot all be planned: they compete for %(groups)s, in "
            "%(venues)s between %(first)s and %(last)s.",
            series=_list(p.get("series", [])),
            groups=_groups(p.get("groups", [])),
            venues=p["venues"],
            first=p.get("first"),
            last=p.get("last"),
        )
        if p.get("venues")
        else _(
            "%(series)s cannot all be planned: they compete for %(groups)s.",
            series=_list(p.get("series", [])),
            groups=_groups(p.get("groups", [])),
        )
    ),
    "halls_shared": lambda p: _(
        "Only %(venues)s can hold %(series)s: between %(first)s and %(last)s it has room "
        "for %(free)s sessions, and together they need %(needed)s.",
        venues=p.get("venues"),
        series=_list(p.get("series", [])),
        first=p.get("first"),
        last=p.get("last"),
        free=p.get("free"),
        needed=p.get("needed"),
    ),
    "dates_closed": lambda p: _dates_closed(p),
    "buffer_blocks": lambda p: _(
        "%(series)s needs %(needed)s sessions %(window)s, but the set-up buffer of "
        "%(venues)s (%(minutes)s minutes around each booking) leaves room for only "
        "%(fit)s; without the buffer they would fit.",
        series=p.get("series"),
        needed=p.get("needed"),
        window=_window(p),
        venues=p.get("venues"),
        minutes=p.get("minutes"),
        fit=p.get("fit"),
    ),
    "pin_blocked": lambda p: (
        _(
            "The pinned session of %(series)s (%(details)s) cannot stay: it clashes with "
            "%(groups)s.",
            series=p.get("series"),
            details=_pin_details(p),
            groups=_groups(p.get("groups", [])),
        )
        if p.get("groups")
        else _(
            "The pinned session of %(series)s (%(details)s) cannot be kept.",
            series=p.get("series"),
            details=_pin_details(p),
        )
    ),
    "timeout": lambda p: _(
        "No plan was found within %(seconds)s seconds, and the solver could not prove "
        "that none exists. Give it more time.",
        **p,
    ),
    "unexplained": lambda p: _("No plan exists, but the solver could not narrow down why in time."),
}

# Why a session is where it is
_SESSION: dict[str, Callable[[dict], str]] = {
    "pinned": lambda p: _(
        "pinned by the organizer (%(what)s)",
        what=_list(PINNED_LABELS.get(w, w) for w in p.get("what", [])),
    ),
    "kept": lambda p: _("kept as accepted"),
    "moved": lambda p: _("moved from %(from)s", **p),
    "host_date": lambda p: _("on a date %(host)s asked for", **p),
    "host_month": lambda p: _("in a month %(host)s asked for", **p),
    "host_wish_missed": lambda p: _("%(host)s's wishes could not be met", **p),
    "fixed_host": lambda p: _("%(host)s is the series' fixed host", **p),
    "hosted_last_year": lambda p: _("%(host)s also hosted last year", **p),
    "new_host": lambda p: _("%(host)s did not host last year", **p),
    "venue": lambda p: (
        _(
            "%(venue)s holds %(capacity)s for %(expected)s expected, in the host's city",
            **p,
        )
        if p.get("home")
        else _("%(venue)s holds %(capacity)s for %(expected)s expected", **p)
    ),
    "holiday_unavoidable": lambda p: _("on a holiday (%(name)s): no better date was free", **p),
    "weekend_unavoidable": lambda p: _("on a weekend: no better date was free"),
    "spread": lambda p: (
        _("on its evenly spread date", **p)
        if not p.get("off")
        else _(
            "%(days)s days from its evenly spread date %(ideal)s",
            days=abs(p["off"]),
            ideal=p.get("ideal"),
        )
    ),
}

# Each reason code -> its sentence builder, given the reason's params.
PHRASES = {**_INPUT, **_NOTES, **_NO_PLAN, **_SESSION}


def phrase(reason: dict) -> str:
    """One reason ({"code", "params"}) as a sentence."""
    code, p = reason.get("code"), dict(reason.get("params") or {})
    make = PHRASES.get(code)
    return make(p) if make else str(code)


def _venues_short(p: dict) -> str:
    values = {
        "city": p.get("city"),
        "people": p.get("people"),
        "days": p.get("days"),
        "kind_of_days": _kind_of_days(p),
        "window": _window(p),
        "needed": p.get("needed"),
        "series": p.get("series"),
    }
    if p.get("city"):
        return _(
            "No venue in %(city)s that holds %(people)s people is free on the %(days)s "
            "%(kind_of_days)s left %(window)s for the %(needed)s sessions of %(series)s.",
            **values,
        )
    del values["city"]
    return _(
        "No venue that holds %(people)s people is free on the %(days)s %(kind_of_days)s left "
        "%(window)s for the %(needed)s sessions of %(series)s.",
        **values,
    )


def _dates_closed(p: dict) -> str:
    values = {
        "series": p.get("series"),
        "needed": p.get("needed"),
        "spacing": p.get("spacing"),
        "window": _window(p),
        "venues": p.get("venues"),
        "people": p.get("people"),
        "closures": p.get("closures"),
        "days": p.get("days"),
        "fit": p.get("fit"),
    }
    if p.get("spacing"):
        return _(
            "%(series)s needs %(needed)s sessions at least %(spacing)s days apart %(window)s, "
            "but %(venues)s, which hold %(people)s people, are closed %(closures)s: the "
            "%(days)s days left hold only %(fit)s.",
            **values,
        )
    del values["spacing"]
    return _(
        "%(series)s needs %(needed)s sessions %(window)s, but %(venues)s, which hold "
        "%(people)s people, are closed %(closures)s: only %(days)s days are left, for "
        "%(fit)s.",
        **values,
    )


def _hosts_short(p: dict) -> str:
    if p.get("max") == 1 and p.get("available") == p.get("applicants"):
        return _(
            "%(series)s needs %(needed)s hosts, but only %(applicants)s societies applied and "
            "each may host once.",
            series=p.get("series"),
            needed=p.get("needed"),
            applicants=p.get("applicants"),
        )
    return _(
        "%(series)s needs %(needed)s hosts, but the %(applicants)s societies that applied may "
        "host %(available)s sessions in all (at most %(max)s each).",
        **p,
    )


def phrase_all(reasons) -> list[str]:
    return [phrase(r) for r in reasons or []]


def _rotation(p: dict) -> str:
    if p.get("rule") == "again":
        rule = _("%(host)s gets no session of %(series)s while %(others)s host twice", **p)
    else:
        rule = _(
            "%(host)s gets no session of %(series)s while %(others)s, who hosted last year, "
            "host again",
            **p,
        )
    cause = {
        "busy": _("it is unavailable or busy on every date the series can use."),
        "no_plan": _("no plan gives it a session."),
        "not_proven": _("the search stopped before finding a plan that gives it a session."),
    }.get(p.get("cause"), "")
    return _("%(rule)s: %(cause)s", rule=rule, cause=cause)


def not_planned(notes) -> list[str]:
    """The series a partial plan leaves out, each with why."""
    return [phrase(n) for n in notes or [] if n.get("code") == "not_planned"]


def explain_session(reasons) -> str:
    return _("; ").join(phrase_all(reasons))
