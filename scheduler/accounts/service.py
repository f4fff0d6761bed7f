"""The one way in for changes of users: invitations and password links, roles and societies,
deactivation, API tokens. Pages, the API and the CLI call these; they validate, write an
audit entry (entity "user") and flush, and the caller commits.
"""

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from .. import directory_input as di
from ..audit.service import record
from ..errors import BadInput, Conflict, NotFound, RequestError
from ..extensions import db
from ..societies.models import Society
from ..types import utcnow
from .models import (
    AccountLink,
    ApiToken,
    LinkPurpose,
    Role,
    User,
    hash_token,
    password_hash_method,
)
from .schemas import ApiTokenInput, UserChange, UserInvitation

MIN_PASSWORD, MAX_PASSWORD = 10, 200
MAX_ACTIVE_TOKENS = 50  # per user: a script that leaks tokens in a loop stops here
RESET_RESEND_AFTER = timedelta(minutes=1)  # one reset mail a minute per address at most
NO_PASSWORD = ""  # an invited user until they set one: no password matches it


def now() -> datetime:
    """The accounts' clock (tests replace it to move time without sleeping)."""
    return utcnow()


# --- input ---------------------------------------------------------------------------------


def _society(value, name: str) -> Society | None:
    if not value:
        return None
    society = db.session.scalar(sa.select(Society).where(Society.slug == value))
    if society is None:
        raise BadInput(_("Unknown society: %(value)s.", value=value), field=name)
    return society


def _values(schema, data: Mapping[str, Any]) -> dict:
    """The body checked by its model (UserInvitation or UserChange), the society looked up."""
    values = di.validate(schema, data)
    if "society" in values:
        values["society"] = _society(values["society"], "society")
    return values


def check_password_rules(password, confirmation=None) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise BadInput(
            _("The password needs at least %(n)s characters.", n=MIN_PASSWORD), field="password"
        )
    if len(password) > MAX_PASSWORD or di.CONTROL_CHARACTERS.search(password):
        raise BadInput(
            _("The password may have at most %(n)s characters and no control characters.",
              n=MAX_PASSWORD),
            field="password",
        )  # fmt: skip
    if confirmation is not None and confirmation != password:
        raise BadInput(_("The two passwords differ."), field="confirmation")
    return password


def _check_editor_society(values: Mapping[str, Any], user: User | None = None) -> None:
    """Before anything is set (an invalid row must never reach an autoflush)."""
    role = values.get("role", user.role if user else None)
    society = values.get("society", user.society if user else None)
    if role == Role.EDITOR and society is None:
        raise BadInput(_("A society editor needs a society."), field="society")


def _refuse_taken_email(email: str) -> None:
    if db.session.scalar(sa.select(User.id).where(sa.func.lower(User.email) == email)):
        raise Conflict(_("A user with the e-mail %(email)s exists already.", email=email),
                       field="email")  # fmt: skip


def _new_user(data: Mapping[str, Any], by: User | None) -> User:
    values = _values(UserInvitation, data)
    for required in ("email", "role"):
        if not values.get(required):
            raise BadInput(_("%(field)s is required.", field=required), field=required)
    _check_editor_society(values)
    _refuse_taken_email(values["email"])
    user = User(password_hash=NO_PASSWORD, active=True, name="", locale="")
    changes = di.apply_values(user, values)
    di.flush_unique(user, _("A user with the e-mail %(email)s exists already.",
                            email=user.email))  # fmt: skip
    record("user", user.id, "create", by, changes)
    return user


# --- creating users ------------------------------------------------------------------------


def create_user(
    email: str, password: str, role: str, society_slug: str | None, name: str = "", by=None
) -> User:
    """A user with a password (the CLI's way to make the first organizer)."""
    check_password_rules(password)
    data = {"email": email, "role": role, "society": society_slug or "", "name": name}
    user = _new_user(data, by)
    user.set_password(password)
    return user


def invite_user(data: Mapping[str, Any], by: User | None) -> tuple[User, str]:
    """A user without a password and a one-time invitation link, mailed to them; returns the
    user and the link's address (the CLI prints it for associations without SMTP)."""
    user = _new_user(data, by)
    return user, issue_link(user, LinkPurpose.INVITATION, by)


def resend_invitation(user: User, by: User | None) -> str:
    """A fresh invitation link; earlier links of the user stop working."""
    if user.password_hash:
        raise Conflict(_("%(email)s has already set a password; they can reset it from the "
                         "sign-in page.", email=user.email))  # fmt: skip
    if not user.active:
        raise Conflict(_("%(email)s is deactivated; reactivate the account first.",
                         email=user.email))  # fmt: skip
    return issue_link(user, LinkPurpose.INVITATION, by)


# --- one-time links ------------------------------------------------------------------------


def _ttl(purpose: LinkPurpose) -> timedelta:
    config = current_app.config
    if purpose == LinkPurpose.INVITATION:
        return timedelta(days=config.get("INVITATION_TTL_DAYS", 7))
    return timedelta(minutes=config.get("PASSWORD_RESET_TTL_MINUTES", 120))


def _revoke_open_links(user: User, at: datetime) -> None:
    db.session.execute(
        sa.update(AccountLink)
        .where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None),
               AccountLink.revoked_at.is_(None))
        .values(revoked_at=at)
    )  # fmt: skip


def issue_link(user: User, purpose: LinkPurpose, by: User | None) -> str:
    """Revoke the user's open links, add a new one and queue its mail; returns its URL."""
    from .mail import queue_link_mail  # the outbox belongs to a higher layer

    at = now()
    _revoke_open_links(user, at)
    link, plain = AccountLink.issue(user)
    link.purpose, link.created_at, link.expires_at = purpose, at, at + _ttl(purpose)
    db.session.add(link)
    db.session.flush()
    record("user", user.id, f"{purpose.value}_sent", by, {"link": [None, link.prefix]})
    return queue_link_mail(user, link, plain)


def open_link(plain: str, lock: bool = False) -> AccountLink:
    """The usable link behind ``plain``, or a 404/410 saying why it cannot be used."""
    link = None
    if isinstance(plain, str) and plain.startswith(AccountLink.PLAIN_PREFIX) and len(plain) < 100:
        stmt = sa.select(AccountLink).where(AccountLink.token_hash == hash_token(plain))
        if lock:  # and re-read: a copy loaded earlier in this session may be stale
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        link = db.session.scalar(stmt)
    if link is None or not link.matches(plain):
        raise NotFound(_("This link is not valid. Check that you copied all of it."))
    if link.used_at is not None:
        raise LinkGone(_("This link has been used already. Sign in, or ask for a new link."))
    if link.revoked_at is not None or not link.user.active:
        raise LinkGone(_("This link was replaced by a newer one or withdrawn. "
                         "Use the latest e-mail, or ask for a new link."))  # fmt: skip
    if link.expires_at <= now():
        raise LinkGone(_("This link has expired. Ask for a new one."))
    return link


class LinkGone(RequestError):
    status = 410
    error = "gone"


def set_password_with_link(plain: str, password, confirmation) -> User:
    """Spend the link: the user's password is set and every other open link is revoked."""
    link = open_link(plain, lock=True)
    check_password_rules(password, confirmation)
    user, at = link.user, now()
    user.set_password(password)
    link.used_at = at
    db.session.flush()
    _revoke_open_links(user, at)
    record("user", user.id, "password_set", user, {"link": [link.prefix, None]})
    return user


def change_password(user: User, current, password, confirmation) -> None:
    """A signed-in user's new password, given the current one. The user's other sessions
    end (their token in User.get_id no longer matches) and open links are revoked."""
    if not (isinstance(current, str) and user.password_hash and user.check_password(current)):
        raise BadInput(_("The current password is wrong."), field="current")
    check_password_rules(password, confirmation)
    user.set_password(password)
    _revoke_open_links(user, now())
    db.session.flush()
    record("user", user.id, "password_changed", user)


def request_password_reset(email: str) -> None:
    """Mail a reset link when an active account has this address; nothing otherwise. The
    caller answers the same whatever happened."""
    email = (email or "").strip().lower()
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
    if user is None or not user.active:
        return
    recent = sa.select(AccountLink.id).where(
        AccountLink.user_id == user.id,
        AccountLink.purpose == LinkPurpose.PASSWORD_RESET,
        AccountLink.created_at > now() - RESET_RESEND_AFTER,
    )
    if db.session.scalar(recent.limit(1)) is None:
        issue_link(user, LinkPurpose.PASSWORD_RESET, None)


# --- signing in ----------------------------------------------------------------------------

_dummy_hashes: dict[str, str] = {}


def _dummy() -> str:
    """A hash of a random password made like real ones, so that checking it costs the same."""
    method = password_hash_method()
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
    return _dummy_hashes[method]


def authenticate(email: str, password: str) -> User | None:
    """The active user with this address and password. Exactly one password hash is checked
    whatever the address, so the answer's timing does not tell whether it exists."""
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
    usable = user is not None and bool(user.password_hash)
    matches = check_password_hash(user.password_hash if usable else _dummy(), password)
    return user if usable and matches and user.active else None


# --- changing users ------------------------------------------------------------------------


def _active_organizers(lock: bool) -> list[int]:
    stmt = sa.select(User.id).where(User.role == Role.ORGANIZER, User.active.is_(True))
    return list(db.session.scalars(stmt.with_for_update() if lock else stmt))


def _refuse_losing_organizer(user: User, by: User | None) -> None:
    """Nobody removes themself as organizer, and the last active organizer stays."""
    if by is not None and by.id == user.id:
        raise Conflict(_("You cannot deactivate yourself or give up your own organizer role; "
                         "ask another organizer."))  # fmt: skip
    others = [i for i in _active_organizers(lock=True) if i != user.id]
    if not others:
        raise Conflict(_("%(email)s is the last active organizer; make someone else an "
                         "organizer first.", email=user.email))  # fmt: skip


def update_user(user: User, data: Mapping[str, Any], by: User | None) -> User:
    """Change name, role, society, language or active (only the keys given)."""
    values = _values(UserChange, data)
    was_organizer = user.is_organizer and user.active
    stays_organizer = values.get("role", user.role) == Role.ORGANIZER and values.get(
        "active", user.active
    )
    if was_organizer and not stays_organizer:
        _refuse_losing_organizer(user, by)
    _check_editor_society(values, user)
    changes = di.apply_values(user, values)
    if values.get("active") is False and "active" in changes:
        _revoke_open_links(user, now())
    db.session.flush()
    if changes:
        record("user", user.id, "update", by, changes)
    return user


def set_user_active(user: User, active: bool, by: User | None) -> None:
    """A deactivated user cannot sign in, and their sessions and API tokens stop working."""
    update_user(user, {"active": active}, by)


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("User %(id)s does not exist.", id=user_id))
    return user


def users_query():
    return sa.select(User).order_by(User.active.desc(), User.email)


# --- API tokens ----------------------------------------------------------------------------


def create_api_token(user: User, name) -> tuple[ApiToken, str]:
    """A named token for the user; the plain token is returned once and never stored."""
    name = di.validate(ApiTokenInput, {"name": name})["name"]
    active = sa.select(sa.func.count()).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
    )
    if db.session.scalar(active) >= MAX_ACTIVE_TOKENS:
        raise Conflict(_("You have %(n)s active tokens; revoke one you no longer use first.",
                         n=MAX_ACTIVE_TOKENS))  # fmt: skip
    token, plain = ApiToken.issue(user, name)
    db.session.add(token)
    db.session.flush()
    record("user", user.id, "token_created", user, {"token": [None, token.prefix]})
    return token, plain


def own_tokens(user: User) -> list[ApiToken]:
    stmt = sa.select(ApiToken).where(ApiToken.user_id == user.id)
    return list(db.session.scalars(stmt.order_by(ApiToken.created_at.desc(), ApiToken.id)))


def revoke_api_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (another's is "not found", as if absent)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = now()
        record("user", user.id, "token_revoked", user, {"token": [token.prefix, None]})
        db.session.flush()
    return token


# --- CLI helpers (they commit) -------------------------------------------------------------


def issue_token(email: str, name: str = "") -> str:
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise BadInput(_("No user has the e-mail %(email)s.", email=email))
    _token, plain = create_api_token(user, name)
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
