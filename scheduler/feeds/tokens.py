"""Private feed tokens: issue, revoke, and the scope a token opens."""

import sqlalchemy as sa
from flask_babel import gettext as _

from ..accounts.models import MAX_NAME, User, hash_token
from ..events.queries import EventFilters
from ..extensions import db
from ..types import utcnow
from .models import FeedToken
from .service import PENDING, PUBLISHED, FeedScope


def issue_feed_token(user: User, name: str = "") -> str:
    token, plain = FeedToken.issue(user, name[:MAX_NAME])  # a longer name is cut
    db.session.add(token)
    db.session.commit()
    return plain


def revoke_feed_token(user: User, token_id: int) -> bool:
    token = db.session.get(FeedToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.session.commit()
    return True


def tokens_of(user: User) -> list[FeedToken]:
    return list(
        db.session.scalars(
            sa.select(FeedToken).where(FeedToken.user_id == user.id).order_by(FeedToken.created_at)
        )
    )


def scope_for_token(plain: str) -> FeedScope | None:
    """The private scope a live token opens: its society's events including pending ones
    (those it co-hosts as events/visibility.py says), or everything for an organizer. None
    for an unknown or revoked token."""
    if not plain or len(plain) > 100:
        return None
    token = db.session.scalar(
        sa.select(FeedToken).where(
            FeedToken.token_hash == hash_token(plain), FeedToken.revoked_at.is_(None)
        )
    )
    if token is None or not token.matches(plain) or not token.user.active:
        return None
    user = token.user
    statuses = PUBLISHED + PENDING
    if user.is_organizer:
        return FeedScope(
            ("private", token.id),
            _("All events (organizers)"),
            _("Published and pending events of every society."),
            EventFilters(statuses=list(statuses)),
            statuses=statuses,
        )
    society = user.society
    return FeedScope(
        ("private", token.id),
        _("%(society)s: our events", society=society.name),
        _("Published and pending events of %(society)s.", society=society.name),
        EventFilters(
            society_ids=[society.id], statuses=list(statuses), viewer_society_id=society.id
        ),
        statuses=statuses,
    )
