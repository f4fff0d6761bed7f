"""A guard for statements whose parameter count grows with the data (issue #19).

PostgreSQL refuses more than 65,535 parameters and psycopg prepares only statements it sees
again, so a list of ids must travel as one parameter (scheduler/bounded.py). Wrap a request
in ``bounded_parameters(db.engine)`` with more rows than the limit to prove its statements
do not grow with them.
"""

from contextlib import contextmanager

import sqlalchemy as sa

from scheduler.extensions import db

MAX_PARAMETERS = 100
ANALYZED = (
    "events", "occurrences", "societies", "series", "venues", "event_cohosts",
    "event_organizers", "event_speakers", "event_audiences", "people",
)  # fmt: skip


def analyze_event_tables() -> None:
    """On PostgreSQL, give the event tables the statistics a live database has: emptied
    test tables look big to the planner, which then JIT-compiles the statements of the
    tested paths (seconds each on a busy machine). Call after committing the test data."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text(f"ANALYZE {', '.join(ANALYZED)}"))
        db.session.commit()


@contextmanager
def bounded_parameters(engine, limit: int = MAX_PARAMETERS):
    """Fails when a statement run inside the block sends more than ``limit`` parameters;
    yields the list of (parameter count, statement) seen."""
    seen: list[tuple[int, str]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        for params in parameters if executemany else [parameters]:
            seen.append((len(params or ()), statement))

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    too_many = [f"{n} parameters: {s[:300]}" for n, s in seen if n > limit]
    assert not too_many, "\n".join(too_many)
