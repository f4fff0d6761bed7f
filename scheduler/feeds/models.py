"""Private feed tokens: a secret URL that shows a society's (or the organizers') own view."""

from ..accounts.models import SecretToken
from ..extensions import db


class FeedToken(SecretToken, db.Model):
    """The secret part of a private feed URL (192 random bits, URL-safe)."""

    __tablename__ = "feed_tokens"
    RANDOM_BYTES = 24
    SHOWN_CHARACTERS = 6
