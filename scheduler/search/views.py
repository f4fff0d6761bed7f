"""The public search page, /search: a form, and published events past and future that match,
grouped into upcoming and past, each naming the field it was found in."""

import re
from dataclasses import dataclass

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from ..errors import BadInput
from ..events.queries import parse_moment
from ..timeutil import local_midnight_utc, local_today
from .query import MAX_QUERY_LENGTH, Match, search_public, split_terms

PER_PAGE = 20
MAX_PAGE = 500
# How much of a long value (a description) is shown on each side of the found term.
CONTEXT_CHARS = 40

FIELD_LABELS = {
    "title": _l("Title"),
    "description": _l("Description"),
    "venue": _l("Venue"),
    "speakers": _l("Speaker"),
    "host": _l("Host"),
    "cohosts": _l("Co-host"),
    "organizers": _l("Organizer"),
    "series": _l("Series"),
    "campaign": _l("Campaign"),
}


@dataclass(frozen=True)
class Criteria:
    text: str
    terms: list[str]
    start: object
    end: object
    page: int


def _parse(args) -> Criteria:
    text = (args.get("q") or "").strip()
    terms = split_terms(text)
    start = parse_moment(args["from"], "from") if args.get("from") else None
    end = parse_moment(args["to"], "to", end_of_day=True) if args.get("to") else None
    if start and end and start >= end:
        raise BadInput(_("from must be before to."), field="from")
    try:
        page = int(args.get("page") or 1)
    except ValueError:
        page = 0
    if not 1 <= page <= MAX_PAGE:
        raise BadInput(_("page must be a number from 1 to %(max)s.", max=MAX_PAGE), field="page")
    return Criteria(text, terms, start, end, page)


def highlight(text: str, terms: list[str]) -> Markup:
    """``text`` escaped, each term found in it (any case) inside <mark>."""
    if not terms:
        return escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    out, last = Markup(""), 0
    for found in pattern.finditer(text):
        out += escape(text[last : found.start()]) + Markup("<mark>%s</mark>") % found.group()
        last = found.end()
    return out + escape(text[last:])


def excerpt(value: str, terms: list[str]) -> str:
    """A long value cut around its first found term."""
    if len(value) <= 2 * CONTEXT_CHARS + 20:
        return value
    folded = value.casefold()
    at = min((folded.find(t) for t in terms if t in folded), default=0)
    first, last = max(0, at - CONTEXT_CHARS), at + CONTEXT_CHARS
    return ("…" if first else "") + value[first:last] + ("…" if last < len(value) else "")


def _page_url(criteria: Criteria, page: int) -> str:
    args = {"q": criteria.text, "page": page}
    args.update({k: request.args[k] for k in ("from", "to") if request.args.get(k)})
    return url_for("public.search", **args)


def search():
    try:
        criteria = _parse(request.args)
    except BadInput as exc:
        return _render(error=exc.message, status=400)
    if not criteria.terms:
        return _render(criteria=criteria)
    now = local_midnight_utc(local_today())  # today's events count as upcoming all day
    hits, total = search_public(
        criteria.terms, criteria.start, criteria.end, now, criteria.page, PER_PAGE
    )
    pages = max(1, -(-total // PER_PAGE))
    return _render(
        criteria=criteria,
        upcoming=[h for h in hits if h.upcoming],
        past=[h for h in hits if not h.upcoming],
        total=total,
        prev_url=_page_url(criteria, criteria.page - 1) if criteria.page > 1 else None,
        next_url=_page_url(criteria, criteria.page + 1) if criteria.page < pages else None,
        pages=pages,
    )


def _render(status: int = 200, **context):
    def shown(match: Match) -> tuple[str, Markup]:
        terms = context["criteria"].terms
        return str(FIELD_LABELS[match.field]), highlight(excerpt(match.value, terms), terms)

    context.setdefault("criteria", None)
    page = render_template(
        "public/search.html",
        args=request.args,
        max_length=MAX_QUERY_LENGTH,
        shown=shown,
        highlight=highlight,
        event_url=url_for("public.event_page", event_id=0).removesuffix("0"),
        **context,
    )
    return page, status


def register_search(bp: Blueprint) -> None:
    """Add /search to the public blueprint (called from scheduler/public/__init__.py)."""
    bp.add_url_rule("/search", "search", search, methods=["GET"])
