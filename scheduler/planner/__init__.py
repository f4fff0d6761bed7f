"""The year planner: dates, venues and host societies for every series session.

A functional core on plain values in ``core/`` (no Flask, no SQLAlchemy: ``types``,
``candidates``, ``model``, ``solve``, ``counts``, ``explain``, ``score``, ``verify``,
``greedy``, ``rotation``), and a thin shell that reads and writes the database and speaks to
people (``load``, ``apply``, ``applications``, ``phrases``, ``serialize``, ``views``,
``api``, ``cli``). See the README's "The year planner".
"""
