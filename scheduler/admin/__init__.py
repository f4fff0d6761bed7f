"""The organizers' dashboard: the approval queue (quotas and the planner come later)."""
