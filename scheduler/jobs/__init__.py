"""Background jobs and the scheduler process that runs them (never inside web workers)."""
