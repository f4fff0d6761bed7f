"""A society's record page, and the organizers' forms for targets and minimums."""

import pytest
import sqlalchemy as sa

from scheduler.audit.models import AuditEntry
from scheduler.extensions import db
from tests.conftest import sign_in
from tests.quotas.world import build_world, freeze


@pytest.fixture
def world(app, monkeypatch):
    freeze(monkeypatch)
    return build_world()


def test_editors_see_their_own_record_only(client, world):
    assert client.get("/societies/sz-cast/record").status_code == 302  # sign in first
    sign_in(client, world.sz_editor.email)
    page = client.get("/societies/sz-cast/record?year=2027&lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "深圳市科协" in html and "Remaining allowances in 2027" in html
    assert client.get("/societies/gd-physics/record?year=2027").status_code == 403
    assert client.get("/societies/nobody/record").status_code == 404
    assert client.get("/societies/sz-cast/record?year=1800").status_code == 400
    assert "min_events_per_year" not in html  # only organizers change the minimum


def test_the_record_shows_the_year_history_and_allowances(client, world):
    sign_in(client, world.organizer.email)
    html = client.get("/societies/gd-physics/record?year=2027&lang=en").get_data(as_text=True)
    assert "岭南科学论坛" in html
    # Lingnan: one session per host, phys hosted in March 2027, so nothing remains.
    assert '<th scope="row">岭南科学论坛</th><td>1</td><td>1</td><td>0</td>' in html
    # History rows for 2023-2027, newest first, with 2026's Lingnan session.
    assert html.index(">2027</a>") < html.index(">2026</a>") < html.index(">2023</a>")
    assert "<td>Co-host</td>" in html  # the academic-month activity sz hosts with phys


def test_organizers_set_a_societys_yearly_minimum(client, world):
    token = sign_in(client, world.organizer.email)
    url = "/admin/quotas/societies/sleepy"
    response = client.post(url, data={"min_events_per_year": "3", "csrf_token": token})
    assert response.status_code == 302
    assert world.sleepy.min_events_per_year == 3
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "society"))
    assert entry.changes == {"min_events_per_year": [1, 3]}
    bad = client.post(url, data={"min_events_per_year": "-1", "csrf_token": token})
    assert bad.status_code == 400
    assert client.post(url, data={"min_events_per_year": "3"}).status_code == 400  # no CSRF


def test_editors_cannot_change_definitions(client, world):
    token = sign_in(client, world.sz_editor.email)
    for url, data in [
        ("/admin/quotas/societies/sz-cast", {"min_events_per_year": "0"}),
        (
            "/admin/quotas/series/lingnan",
            {"target_min": "0", "target_max": "9", "max_per_host": "9"},
        ),
        ("/admin/quotas/campaigns/academic-month-2027", {"participation_target": "10"}),
    ]:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert (world.lingnan.target_max, world.sz.min_events_per_year) == (4, 1)


@pytest.mark.parametrize(
    ("form", "status", "saved"),
    [
        ({"target_min": "8", "target_max": "10", "max_per_host": "2"}, 302, (8, 10, 2)),
        ({"target_min": "11", "target_max": "10", "max_per_host": "1"}, 400, (3, 4, 1)),
        ({"target_min": "x", "target_max": "10", "max_per_host": "1"}, 400, (3, 4, 1)),
        ({"target_min": "1", "target_max": "10", "max_per_host": "0"}, 400, (3, 4, 1)),
        ({"target_min": "1", "target_max": "10"}, 400, (3, 4, 1)),
    ],
)
def test_series_targets(client, world, form, status, saved):
    token = sign_in(client, world.organizer.email)
    assert client.get("/admin/quotas/settings").status_code == 200
    response = client.post("/admin/quotas/series/lingnan", data={**form, "csrf_token": token})
    assert response.status_code == status
    db.session.expire_all()
    s = world.lingnan
    assert (s.target_min, s.target_max, s.max_per_host) == saved


def test_campaign_targets_and_unknown_items(client, world):
    token = sign_in(client, world.organizer.email)
    url = "/admin/quotas/campaigns/academic-month-2027"
    assert client.post(url, data={"participation_target": "65", "csrf_token": token}).status_code
    db.session.expire_all()
    assert world.month.participation_target == 0.65
    client.post(url, data={"participation_target": "", "csrf_token": token})
    db.session.expire_all()
    assert world.month.participation_target is None
    assert (
        client.post(url, data={"participation_target": "101", "csrf_token": token}).status_code
        == 400
    )
    for missing in ("/admin/quotas/series/nope", "/admin/quotas/campaigns/nope"):
        assert client.post(missing, data={"csrf_token": token}).status_code == 404
