"""Private feed tokens: a secret URL that shows a society's (or the organizers') own view."""

import hashlib
import hmac
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..types import UTCDateTime, utcnow


def hash_feed_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class FeedToken(db.Model):
    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple["FeedToken", str]:
        """A new token (192 random bits) and its plain form, shown in the feed URL."""
        plain = secrets.token_urlsafe(24)
        return cls(user=user, token_hash=hash_feed_token(plain), prefix=plain[:6], name=name), plain

    def matches(self, plain: str) -> bool:
        return hmac.compare_digest(self.token_hash, hash_feed_token(plain))
