"""Venues: bookable halls and rooms, or an online stream."""
