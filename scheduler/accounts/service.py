"""Creating users and API tokens (used by the CLI and, later, the portal)."""

import sqlalchemy as sa
from flask_babel import gettext as _

from ..errors import BadInput
from ..extensions import db
from ..societies.models import Society
from ..types import utcnow
from .models import ApiToken, Role, User

MIN_PASSWORD = 8


def create_user(email: str, password: str, role: str, society_slug: str | None, name: str = ""):
    email = email.strip().lower()
    if "@" not in email:
        raise BadInput(_("%(email)s is not an e-mail address.", email=email), field="email")
    if len(password) < MIN_PASSWORD:
        raise BadInput(_("The password needs at least %(n)s characters.", n=MIN_PASSWORD))
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise BadInput(_("A user with the e-mail %(email)s exists already.", email=email))
    society = None
    if role == Role.EDITOR.value:
        if not society_slug:
            raise BadInput(_("A society editor needs a society (--society)."), field="society")
        society = db.session.scalar(sa.select(Society).where(Society.slug == society_slug))
        if society is None:
            raise BadInput(_("Unknown society: %(value)s.", value=society_slug), field="society")
    user = User(email=email, name=name, role=Role.parse(role), society=society)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def issue_token(email: str, name: str = "") -> str:
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise BadInput(_("No user has the e-mail %(email)s.", email=email))
    token, plain = ApiToken.issue(user, name)
    db.session.add(token)
    db.session.commit()
    return plain


def revoke_tokens(prefix: str) -> int:
    """Revoke the active tokens starting with ``prefix`` (at least 8 characters)."""
    if len(prefix) < 8:
        raise BadInput(_("Give at least 8 characters of the token."))
    tokens = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.prefix == prefix[:10], ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = utcnow()
    db.session.commit()
    return len(tokens)


def tokens_of(email: str) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .join(ApiToken.user)
            .where(User.email == email.strip().lower())
            .order_by(ApiToken.created_at)
        )
    )
