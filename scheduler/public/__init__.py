"""Public pages: the calendar of published events and event pages."""
