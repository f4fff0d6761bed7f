"""Public pages: the calendar of published events, event pages, and a page for each society,
venue, speaker and series (entities.py adds its routes to the blueprint of views.py)."""

from ..search.views import register_search
from . import entities  # noqa: F401  (registers the directory's pages)
from .views import bp

register_search(bp)  # /search, from the search area
