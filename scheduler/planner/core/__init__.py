"""The planner's functional core on plain values: no Flask, no SQLAlchemy, no models.

``types`` (what goes in and out), ``candidates`` (feasible dates and venues), ``counts``
(can each series fit at all), ``model`` and ``solve`` (CP-SAT), ``greedy`` (a first plan),
``score``, ``rotation``, ``explain`` (why not) and ``verify`` (the conflict rules' re-check).
The shell around it (``planner/load.py``, ``apply.py``, ...) reads and writes the database.
Import-linter keeps it pure (``.importlinter``).
"""
