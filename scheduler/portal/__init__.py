"""The society portal: register events, see conflicts while typing, file, follow decisions."""
