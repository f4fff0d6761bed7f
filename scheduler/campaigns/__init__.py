"""Campaigns: windows such as the October academic month, science day week, 双创 week."""
