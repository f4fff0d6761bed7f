"""User and ApiToken models."""

import hashlib
import hmac
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..enums import LabelledEnum, enum_column
from ..extensions import db
from ..societies.models import Society
from ..types import UTCDateTime, utcnow


class Role(LabelledEnum):
    ORGANIZER = "organizer", _l("Organizer")
    EDITOR = "editor", _l("Society editor")


def password_hash_method() -> str:
    """Werkzeug's hash method for new passwords (PASSWORD_HASH_METHOD; scrypt by default)."""
    return (
        current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
    )


# Limits of a user and a token: the columns, the input (schemas.py) and the forms read these.
MAX_EMAIL, MAX_NAME, MAX_LOCALE = 200, 120, 10


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role <> 'editor' OR society_id IS NOT NULL", name="editor_has_society"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(MAX_EMAIL), unique=True)
    name: Mapped[str] = mapped_column(sa.String(MAX_NAME), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(300))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    society_id: Mapped[int | None] = mapped_column(sa.ForeignKey("societies.id"), index=True)
    locale: Mapped[str] = mapped_column(sa.String(MAX_LOCALE), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    society: Mapped[Society | None] = relationship()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_hash_method())

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember cookie: the id and a token
        of the password hash, so a new password signs every other session out."""
        return f"{self.id}:{self.session_token()}"

    def session_token(self) -> str:
        """A keyed digest of the password hash (the cookie is signed, not encrypted: the
        hash itself must not travel in it)."""
        key = current_app.config["SECRET_KEY"]
        key = key.encode() if isinstance(key, str) else key
        return hmac.new(key, self.password_hash.encode(), hashlib.sha256).hexdigest()[:32]

    @property
    def is_organizer(self) -> bool:
        return self.role == Role.ORGANIZER

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SecretToken:
    """A secret handed to a user once: only its SHA-256 is stored, it can be revoked, and it
    is compared in constant time. API tokens and private feed tokens are both kinds."""

    PLAIN_PREFIX = ""  # marks the kind of a token in logs and support requests
    RANDOM_BYTES = 32
    SHOWN_CHARACTERS = 10  # kept in `prefix` so people can tell their tokens apart

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    name: Mapped[str] = mapped_column(sa.String(MAX_NAME), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @declared_attr
    def user(cls) -> Mapped[User]:
        return relationship(User)

    @classmethod
    def issue(cls, user: User, name: str = ""):
        """A new token row and the plain token, which is shown once and never stored."""
        plain = cls.PLAIN_PREFIX + secrets.token_urlsafe(cls.RANDOM_BYTES)
        row = cls(user=user, token_hash=hash_token(plain), name=name)
        row.prefix = plain[: cls.SHOWN_CHARACTERS]
        return row, plain

    def matches(self, plain: str) -> bool:
        return hmac.compare_digest(self.token_hash, hash_token(plain))


class ApiToken(SecretToken, db.Model):
    """A bearer token for the JSON API (`Authorization: Bearer sct_...`)."""

    __tablename__ = "api_tokens"
    PLAIN_PREFIX = "sct_"

    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LinkPurpose(LabelledEnum):
    INVITATION = "invitation", _l("Invitation")
    PASSWORD_RESET = "password_reset", _l("Password reset")


class AccountLink(SecretToken, db.Model):
    """A one-time link sent by e-mail: an invitation to set a first password, or a password
    reset. It expires, and it is spent (``used_at``) when the password is set."""

    __tablename__ = "account_links"
    PLAIN_PREFIX = "scl_"

    purpose: Mapped[LinkPurpose] = mapped_column(enum_column(LinkPurpose))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInFailure(db.Model):
    """Failed sign-ins of one address, counted in the database so that every worker and
    every host sees the same count (the lock-out must mean five failures, not five each)."""

    __tablename__ = "sign_in_failures"

    # The address as typed, lower-cased (unknown addresses are counted too).
    email: Mapped[str] = mapped_column(sa.String(MAX_EMAIL), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
