"""Full-text search over events: one search document per event (title, description, venue,
speakers, host, co-hosts, organizers, series, campaign), indexed by the database itself
(SQLite FTS5 trigram, PostgreSQL pg_trgm) and kept current by a session hook (index.py)."""
