"""Limits that several areas' input checks share, written once. Pure: plain values only."""

import re

# C0 controls but tab and line breaks, and DEL: iCalendar text and XML (Excel) cannot carry
# them, and PostgreSQL refuses NUL.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The years an event's dates may fall in: the form, the API, imported files, calendar pages.
MIN_YEAR, MAX_YEAR = 1970, 2100
# The years that may be planned and counted against quotas.
MIN_PLAN_YEAR, MAX_PLAN_YEAR = 2000, 2100
