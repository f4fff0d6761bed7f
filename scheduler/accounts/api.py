"""User and API token endpoints of the JSON API. Users: organizers (bearer token). Tokens:
every caller manages their own."""

import sqlalchemy as sa
from flask import Blueprint, jsonify, request

from .. import directory_input as di
from ..api.pagination import page_envelope, parse_page
from ..api.request import api_user, json_body, organizer_token
from ..extensions import db
from ..timeutil import to_local
from . import service
from .models import ApiToken, User
from .schemas import ApiTokenInput

bp = Blueprint("accounts", __name__)  # nested under the API blueprint: api.accounts.*


def _local(value):
    return to_local(value).isoformat() if value else None


def user_to_json(user: User) -> dict:
    state = "active" if user.password_hash else "invited"
    if not user.active:
        state = "deactivated"
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role.value,
        "society": user.society.slug if user.society else None,
        "locale": user.locale or None,
        "active": user.active,
        "state": state,
        "created_at": _local(user.created_at),
    }


def token_to_json(token: ApiToken) -> dict:
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": _local(token.created_at),
        "last_used_at": _local(token.last_used_at),
        "revoked": token.revoked_at is not None,
    }


@bp.get("/users")
def list_users():
    organizer_token()
    page, per_page = parse_page(request.args)
    stmt = service.users_query()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    users = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page))
    return jsonify(page_envelope([user_to_json(u) for u in users], page, per_page, total))


@bp.post("/users")
def invite_user():
    """Invite: the user gets a mail with a one-time link to choose a password."""
    by = organizer_token()
    user, _url = di.write(service.invite_user, json_body(), by)
    return jsonify(user_to_json(user)), 201


@bp.patch("/users/<int:user_id>")
def update_user(user_id: int):
    by = organizer_token()
    user = di.write(service.update_user, service.get_user(user_id), json_body(), by)
    return jsonify(user_to_json(user))


@bp.post("/users/<int:user_id>/invitation")
def resend_invitation(user_id: int):
    by = organizer_token()
    user = service.get_user(user_id)
    di.write(service.resend_invitation, user, by)
    return jsonify(user_to_json(user))


@bp.get("/tokens")
def list_tokens():
    user = api_user()
    return jsonify({"items": [token_to_json(t) for t in service.own_tokens(user)]})


@bp.post("/tokens")
def create_token():
    """A new token of the caller; the plain token is in this answer only."""
    user = api_user()
    body = di.validate(ApiTokenInput, json_body())
    token, plain = di.write(service.create_api_token, user, body.get("name", ""))
    return jsonify({**token_to_json(token), "token": plain}), 201


@bp.delete("/tokens/<int:token_id>")
def revoke_token(token_id: int):
    user = api_user()
    di.write(service.revoke_api_token, user, token_id)
    return "", 204
