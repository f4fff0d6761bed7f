"""Events: registration, occurrences of recurring events, the workflow and their pages/API."""
