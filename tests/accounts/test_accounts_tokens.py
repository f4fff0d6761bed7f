"""API tokens: the /account/tokens page and /api/v1/tokens. A token is shown once, listed by
name and prefix, works until revoked, and nobody revokes someone else's."""

import re

import sqlalchemy as sa

from scheduler.accounts.models import ApiToken, Role
from scheduler.audit.models import AuditEntry
from scheduler.extensions import db
from tests.accounts.conftest import PASSWORD, count, quick_user
from tests.conftest import assert_matches_schema, sign_in

NEW_TOKEN = re.compile(r'id="new-token" class="copy" readonly value="(sct_[^"]+)"')


def test_tokens_page_creates_shows_once_lists_and_revokes(app, client, society):
    editor = quick_user(Role.EDITOR, "pan.yue@wz-kx.example", society)
    db.session.commit()
    csrf = sign_in(client, editor.email, PASSWORD)
    created = client.post("/account/tokens", data={"name": "瑞安官网同步", "csrf_token": csrf})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    plain = NEW_TOKEN.search(created.get_data(as_text=True)).group(1)

    api = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    assert api.get("/api/v1/tokens", headers=headers).status_code == 200
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "瑞安官网同步" in listing and plain[:10] in listing and plain not in listing
    assert "从未使用" not in listing  # it has just been used

    token = db.session.scalar(sa.select(ApiToken))
    revoked = client.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 302
    assert api.get("/api/v1/tokens", headers=headers).status_code == 401
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["token_created", "token_revoked"]


def test_nobody_revokes_another_users_token(app, client, society):
    owner = quick_user(Role.EDITOR, "owner@wz-kx.example", society)
    row, _plain = ApiToken.issue(owner, "他人的")
    db.session.add(row)
    organizer = quick_user(Role.ORGANIZER, "boss@wz-kx.example")
    db.session.commit()
    csrf = sign_in(client, organizer.email, PASSWORD)
    assert (
        client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf}).status_code
        == 404
    )
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is None


def test_bad_token_names_are_refused_on_the_page(app, client, society):
    editor = quick_user(Role.EDITOR, "lu.qi@wz-kx.example", society)
    db.session.commit()
    csrf = sign_in(client, editor.email, PASSWORD)
    for name in ("名" * 121, "tab\x07bell"):
        response = client.post("/account/tokens", data={"name": name, "csrf_token": csrf})
        assert response.status_code == 400 and "sct_" not in response.get_data(as_text=True)
    assert count(ApiToken) == 0


def test_tokens_api(app, client, society):
    editor = quick_user(Role.EDITOR, "jin.yi@wz-kx.example", society)
    row, plain = ApiToken.issue(editor, "初始")
    db.session.add(row)
    other = quick_user(Role.EDITOR, "other@wz-kx.example", society)
    foreign, _ = ApiToken.issue(other, "别人的")
    db.session.add(foreign)
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}

    created = client.post("/api/v1/tokens", json={"name": "温州数据中台"}, headers=headers)
    assert created.status_code == 201
    body = created.get_json()
    assert body["token"].startswith("sct_") and body["prefix"] == body["token"][:10]
    spec = client.get("/api/v1/openapi.json").get_json()
    assert_matches_schema(spec, "NewApiToken", body)
    listing = client.get("/api/v1/tokens", headers=headers).get_json()
    assert_matches_schema(spec, "ApiTokenList", listing)
    listed = listing["items"]
    assert {t["name"] for t in listed} == {"初始", "温州数据中台"}
    assert all("token" not in t for t in listed)

    assert client.delete(f"/api/v1/tokens/{foreign.id}", headers=headers).status_code == 404
    assert client.delete(f"/api/v1/tokens/{body['id']}", headers=headers).status_code == 204
    new_headers = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/v1/tokens", headers=new_headers).status_code == 401
    for bad in ({"name": "x" * 121}, {"name": 5, "scope": "all"}, {"name": ["a"]}, [1]):
        assert client.post("/api/v1/tokens", json=bad, headers=headers).status_code == 400
    assert client.get("/api/v1/tokens").status_code == 401
    db.session.expire_all()
    assert db.session.get(ApiToken, foreign.id).revoked_at is None
    assert count(ApiToken) == 3
