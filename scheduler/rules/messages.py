"""The rules' messages. N_ only marks them for translation; the caller's ``translate``
(flask_babel.gettext in the app) turns them into the user's language."""

from ..i18n import N_

VENUE_OVERLAP = N_(
    "%(venue)s is already booked for “%(other)s” at this time "
    "(including %(buffer)s minutes between bookings)."
)
VENUE_OVERLAP_NO_BUFFER = N_("%(venue)s is already booked for “%(other)s” at this time.")
SPEAKER_OVERLAP = N_("%(speaker)s already speaks at “%(other)s” at this time.")
CAPACITY = N_("%(expected)s people are expected but %(venue)s holds %(capacity)s.")
CAMPAIGN_OUTSIDE = N_("%(campaign)s runs from %(first)s to %(last)s; this date is outside it.")
CAMPAIGN_BEFORE_LAUNCH = N_(
    "%(campaign)s has a unified launch at %(launch)s; activities may not start before it."
)
LIST_SEPARATOR = N_(", ")  # between the items of a list inside a message
CAMPAIGN_KIND = N_("%(campaign)s contains only %(kinds)s; this event is a %(kind)s.")
SERIES_QUOTA = N_(
    "%(series)s already has %(count)s sessions in %(year)s; its annual maximum is %(max)s."
)
HOST_QUOTA = N_(
    "This society already has %(count)s sessions of %(series)s in %(year)s (approved, held "
    "or waiting for approval); the limit per society is %(max)s."
)
FILING_LEAD = N_(
    "Major events must be filed at least %(days)s days before they start; "
    "this one is filed %(left)s days before."
)
HOST_OVERLAP = N_("Your society also hosts “%(other)s” at this time.")
HOLIDAY = N_("%(day)s is a public holiday (%(name)s).")
MAKEUP_WORKDAY = N_("%(day)s is a make-up working day (%(name)s); many people work that day.")
PROVISIONAL = N_("The holiday calendar for %(year)s is provisional.")
SERIES_SPACING = N_(
    "“%(other)s” of the same series is only %(days)s days away; "
    "the series asks for at least %(min)s days between sessions."
)
SCARCE_EXPERT = N_(
    "%(speaker)s is a scarce expert and would speak %(count)s times in %(month)s; "
    "the monthly limit is %(limit)s."
)
AUDIENCE_OVERLAP = N_("“%(other)s” is for the same audience in %(city)s at the same time.")
