"""User administration by organizers, through /admin/users and /api/v1/users: roles and
societies, deactivation (sessions and tokens stop), the last organizer kept, audit."""

import pytest
import sqlalchemy as sa

from scheduler.accounts import service
from scheduler.accounts.models import Role, User
from scheduler.audit.models import AuditEntry
from scheduler.errors import BadInput, Conflict
from scheduler.extensions import db
from scheduler.notifications.models import OutboxMessage
from tests.accounts.conftest import PASSWORD, count, link_in, mails_to, quick_user
from tests.conftest import assert_matches_schema, bearer, csrf_token, sign_in
from tests.factories import make_society


def post(client, path: str, **form):
    return client.post(path, data={**form, "csrf_token": client.csrf})


def test_the_users_page_lists_states_and_changes_a_society(app, organizer_client, society):
    lishui = make_society(slug="ls-cast", name="丽水市科协", city="丽水")
    editor = quick_user(Role.EDITOR, "xu.fang@wz-kx.example", society, name="徐芳")
    quick_user(Role.EDITOR, "old@wz-kx.example", society, active=False)
    invited = quick_user(Role.EDITOR, "new@wz-kx.example", society)
    invited.password_hash = ""
    db.session.commit()
    page = organizer_client.get("/admin/users").get_data(as_text=True)
    assert "徐芳" in page and "账号已停用" in page and "已邀请，尚未设置密码" in page

    moved = post(organizer_client, f"/admin/users/{editor.id}", role="editor", society="ls-cast")
    assert moved.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, editor.id).society_id == lishui.id
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "update"))
    assert entry.changes == {"society": ["wz-cast", "ls-cast"]}
    # An editor without a society is refused, and nothing changes.
    refused = post(organizer_client, f"/admin/users/{editor.id}", role="editor", society="")
    assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, editor.id).society_id == lishui.id


def test_a_deactivated_user_is_signed_out_and_their_tokens_stop(app, organizer_client, society):
    editor = quick_user(Role.EDITOR, "song.yu@wz-kx.example", society)
    headers = bearer(editor)
    browser = app.test_client()
    sign_in(browser, editor.email, PASSWORD)
    assert browser.get("/portal/").status_code == 200
    assert app.test_client().get("/api/v1/tokens", headers=headers).status_code == 200

    off = post(organizer_client, f"/admin/users/{editor.id}/active", active="0")
    assert off.status_code == 302
    assert browser.get("/portal/").status_code == 302  # the session no longer counts
    assert app.test_client().get("/api/v1/tokens", headers=headers).status_code == 401
    login = browser.post("/login", data={"email": editor.email, "password": PASSWORD,
                                         "csrf_token": csrf_token(browser, "/login")})  # fmt: skip
    assert login.status_code == 401

    on = post(organizer_client, f"/admin/users/{editor.id}/active", active="1")
    assert on.status_code == 302
    sign_in(browser, editor.email, PASSWORD)
    assert app.test_client().get("/api/v1/tokens", headers=headers).status_code == 200


def test_deactivation_withdraws_open_links(app, organizer_client, society):
    post(organizer_client, "/admin/users", email="ye.lan@wz-kx.example", role="editor",
         society="wz-cast", name="", locale="zh_CN")  # fmt: skip
    user = db.session.scalar(sa.select(User).where(User.email == "ye.lan@wz-kx.example"))
    post(organizer_client, f"/admin/users/{user.id}/active", active="0")
    _base, token = link_in(mails_to(user.email)[0])
    assert app.test_client().get(f"/account/set-password/{token}").status_code == 410


def test_organizers_keep_at_least_one_and_never_remove_themselves(app, organizer_client,
                                                                  organizer):  # fmt: skip
    own = post(organizer_client, f"/admin/users/{organizer.id}/active", active="0")
    assert own.status_code == 409
    demote = post(organizer_client, f"/admin/users/{organizer.id}", role="editor",
                  society="")  # fmt: skip
    assert demote.status_code == 409
    with pytest.raises(Conflict):  # the last one, even from the CLI (no one acting)
        service.set_user_active(organizer, False, None)
    db.session.rollback()
    other = quick_user(Role.ORGANIZER, "second@wz-kx.example")
    db.session.commit()
    assert post(organizer_client, f"/admin/users/{other.id}/active", active="0").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, organizer.id).active and not db.session.get(User, other.id).active


def test_editors_cannot_open_the_users_page(app, client, society):
    editor = quick_user(Role.EDITOR, "hu.bo@wz-kx.example", society)
    db.session.commit()
    token = sign_in(client, editor.email, PASSWORD)
    assert client.get("/admin/users").status_code == 403
    response = client.post("/admin/users", data={"email": "x@y.example", "role": "organizer",
                                                 "csrf_token": token})  # fmt: skip
    assert response.status_code == 403 and count(User) == 1


# --- the API -------------------------------------------------------------------------------


def test_api_invites_lists_changes_and_resends(app, client, organizer, society):
    headers = bearer(organizer)
    body = {"email": "Qian.Li@Yueqing-Mech.example", "role": "editor", "society": "wz-cast",
            "name": "钱立", "locale": "en"}  # fmt: skip
    created = client.post("/api/v1/users", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    user = created.get_json()
    assert user["email"] == "qian.li@yueqing-mech.example" and user["state"] == "invited"
    spec = client.get("/api/v1/openapi.json").get_json()
    assert_matches_schema(spec, "User", user)
    assert [m.locale for m in mails_to(user["email"])] == ["en"]

    listed = client.get("/api/v1/users?per_page=1", headers=headers).get_json()
    assert listed["total"] == 2 and len(listed["items"]) == 1
    assert_matches_schema(spec, "UserPage", listed)

    changed = client.patch(f"/api/v1/users/{user['id']}", json={"role": "organizer"},
                           headers=headers)  # fmt: skip
    assert changed.status_code == 200 and changed.get_json()["role"] == "organizer"
    resent = client.post(f"/api/v1/users/{user['id']}/invitation", headers=headers)
    assert resent.status_code == 200 and len(mails_to(user["email"])) == 2

    off = client.patch(f"/api/v1/users/{user['id']}", json={"active": False}, headers=headers)
    assert off.get_json()["state"] == "deactivated"
    assert client.post(f"/api/v1/users/{user['id']}/invitation",
                       headers=headers).status_code == 409  # fmt: skip


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"email": "a@b.example", "role": "editor"}, 400, "society"),
        ({"email": "a@b.example", "role": "editor", "society": "nope"}, 400, "society"),
        ({"email": "a@b.example", "role": "admin"}, 400, "role"),
        ({"email": "chen.jing@WZ-KX.example", "role": "organizer"}, 409, "email"),
        ({"email": "a@b.example", "role": "organizer", "password": "x"}, 400, "password"),
        ({"email": ["a@b.example"], "role": "organizer"}, 400, "email"),
        ({"email": "a\u0007@b.example", "role": "organizer"}, 400, "email"),
    ],
)
def test_api_refuses_bad_users_and_writes_nothing(app, client, organizer, society, body,
                                                  status, field):  # fmt: skip
    headers = bearer(organizer)
    before = (count(User), count(OutboxMessage), count(AuditEntry))
    response = client.post("/api/v1/users", json=body, headers=headers)
    assert response.status_code == status and response.get_json()["field"] == field
    assert (count(User), count(OutboxMessage), count(AuditEntry)) == before


def test_api_patch_refusals(app, client, organizer, society):
    headers = bearer(organizer)
    editor = quick_user(Role.EDITOR, "dai.wen@wz-kx.example", society)
    db.session.commit()
    cases = [
        (editor.id, {"society": None, "role": "editor"}, 400),
        (editor.id, {"email": "other@x.example"}, 400),  # the address is not changed here
        (editor.id, {"active": "maybe"}, 400),
        (organizer.id, {"active": False}, 409),
        (organizer.id, {"role": "editor", "society": "wz-cast"}, 409),
        (999999, {"name": "某人"}, 404),
    ]
    for user_id, body, status in cases:
        response = client.patch(f"/api/v1/users/{user_id}", json=body, headers=headers)
        assert response.status_code == status, (body, response.get_json())
    db.session.expire_all()
    assert db.session.get(User, editor.id).society_id == society.id
    assert db.session.get(User, organizer.id).role == Role.ORGANIZER


def test_service_refuses_unknown_keys(app):
    with pytest.raises(BadInput, match="password"):
        service.update_user(User(role=Role.ORGANIZER, email="x@y.z"), {"password": "x"}, None)
