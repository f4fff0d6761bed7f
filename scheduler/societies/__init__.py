"""Societies: the member bodies that host (承办), co-host (协办) and organize (主办) events."""
