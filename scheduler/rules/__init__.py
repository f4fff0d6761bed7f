"""Conflict rules: pure functions over plain values (no Flask, no session).

``check(proposal, context)`` runs every rule of RULES and returns findings; the same code
serves the portal form, the API, the importer and the planner.
"""

from .engine import RULES, check, has_errors
from .facts import CampaignFacts, HolidayFacts, SeriesFacts, VenueFacts
from .types import Booking, Conflict, Context, Finding, Proposal, Suggestion

__all__ = [
    "RULES",
    "Booking",
    "CampaignFacts",
    "Conflict",
    "Context",
    "Finding",
    "HolidayFacts",
    "Proposal",
    "SeriesFacts",
    "Suggestion",
    "VenueFacts",
    "check",
    "has_errors",
]
