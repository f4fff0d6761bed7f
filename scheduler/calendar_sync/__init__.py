"""Keeping a society's own calendar (a public .ics URL) in sync with its events."""
