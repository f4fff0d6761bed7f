"""Annual quotas, society activity and the annual evaluation reports: counting rules
(``counting``), SQL aggregates (``service``), pages (``views``), the API (``api``), the CSV
and Excel exports (``reports``) and the ``report`` command (``cli``)."""
