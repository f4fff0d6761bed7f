"""Calendar feeds (RFC 5545 / RFC 7986): building, HTTP caching, private tokens, .ics import."""
