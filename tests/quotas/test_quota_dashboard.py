"""The quota dashboard: who may open it, what it shows, bad input, constant queries."""

import pytest

from scheduler.accounts.models import Role
from scheduler.extensions import db
from scheduler.quotas import service
from tests.conftest import sign_in
from tests.factories import fill_events, make_society, make_user
from tests.quotas.world import NOW, build_world, freeze


@pytest.fixture
def world(app, monkeypatch):
    freeze(monkeypatch)
    return build_world()


def test_only_organizers_open_the_dashboard(client, world):
    assert client.get("/admin/quotas").status_code == 302  # to the sign-in page
    sign_in(client, world.sz_editor.email)
    assert client.get("/admin/quotas?year=2027").status_code == 403
    assert client.get("/admin/quotas/export.xlsx?year=2027").status_code == 403
    assert client.get("/admin/quotas/settings").status_code == 403


def test_the_dashboard_shows_progress_pace_rotation_participation_and_dormancy(client, world):
    sign_in(client, world.organizer.email)
    page = client.get("/admin/quotas?year=2027&lang=en").get_data(as_text=True)
    assert "岭南科学论坛" in page
    assert "Short of the minimum" in page  # 2 sessions, minimum 3
    assert 'data-series="lingnan"' in page and 'id="quota-charts"' in page
    assert "vendor/chartjs/chart.umd.min.js" in page
    assert "<script>" not in page  # no inline scripts
    assert "Pace by month" in page
    for name in ("广东省物理学会", "深圳市科协", "华南理工大学科协", "汕头沉睡学会"):
        assert name in page
    assert "已撤销学会" not in page  # inactive: neither dormant nor waiting
    assert "1 / 1" in page  # the city association taking part in the academic month


def test_dashboard_figures(world):
    data = service.build_dashboard(2027, NOW)
    [p] = data.series
    assert (p.held, p.approved, p.planned, p.status) == (2, 2, 0, "short")
    assert p.cumulative_counted == [0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]
    assert p.even_pace[11] == 3.0
    assert [(h.society.slug, h.sessions) for h in p.hosts] == [("gd-physics", 1), ("sz-cast", 1)]
    assert {h.society.slug for h in p.hosts_last_year} == {"gd-physics", "scut-cast"}
    assert [s.slug for s in p.waiting_since_last_year] == ["scut-cast"]
    assert [s.slug for s in p.never_hosted] == ["sleepy"] and p.never_hosted_total == 1
    assert [s.host.slug for s in p.sessions] == ["gd-physics", "sz-cast"]

    [cp] = data.campaigns
    assert (cp.participating, cp.active, cp.share, cp.target_met) == (2, 4, 0.5, True)
    by_kind = {s.key.value: (s.participating, s.active) for s in cp.by_kind}
    assert by_kind == {"provincial": (1, 2), "city": (1, 1), "university": (0, 1)}
    by_city = {s.key: (s.participating, s.active) for s in cp.by_city}
    assert by_city == {"广州": (1, 2), "深圳": (1, 1), "汕头": (0, 1)}

    assert [f.society.slug for f in data.dormant] == ["sleepy"]
    assert data.dormant[0].last_held.year == 2025
    assert {f.society.slug for f in data.below_minimum} == {"scut-cast", "sleepy"}


def test_one_series_only_and_campaigns_of_other_years(client, world):
    sign_in(client, world.organizer.email)
    assert client.get("/admin/quotas?series=lingnan").status_code == 200
    assert "academic-month" not in service.build_dashboard(2031, NOW).campaigns


def test_never_hosted_is_limited_and_most_recently_active_first(world):
    for _ in range(service.NEVER_HOSTED_SHOWN + 3):
        make_society()
    db.session.commit()
    [p] = service.build_dashboard(2027, NOW).series
    assert len(p.never_hosted) == service.NEVER_HOSTED_SHOWN
    assert p.never_hosted_total == service.NEVER_HOSTED_SHOWN + 4
    assert p.never_hosted[0].slug == "sleepy"  # the only one that ever held something


def test_cohosting_and_organizing_keep_a_society_out_of_the_dormant_list(world):
    from tests.factories import local, make_event

    make_event(local(2027, 1, 9, 9), host=world.phys, cohosts=[world.sleepy])
    partner = make_society(slug="partner", name="省科技厅")
    make_event(local(2027, 2, 9, 9), host=world.phys, organizing_societies=[partner])
    db.session.commit()
    dormant = [f.society.slug for f in service.build_dashboard(2027, NOW).dormant]
    assert dormant == []


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("year=abc", 400),
        ("year=27", 400),
        ("year=2027.5", 400),
        ("year=-2027", 400),
        ("year=1999", 400),
        ("year=2101", 400),
        ("year=20270", 400),
        ("series=no-such-series", 404),
        ("year=2000", 200),
        ("year=2100", 200),
    ],
)
def test_bad_input_is_a_clear_4xx(client, world, query, status):
    sign_in(client, world.organizer.email)
    response = client.get(f"/admin/quotas?{query}&lang=en")
    assert response.status_code == status
    if status == 400:
        assert "year must be" in response.get_data(as_text=True)


def test_the_dashboard_uses_a_constant_number_of_queries(client, count_queries, monkeypatch):
    freeze(monkeypatch)
    organizer = make_user(Role.ORGANIZER)
    db.session.commit()
    sign_in(client, organizer.email)

    def fill(n, month):
        fill_events(n, month=month, cohosts=[make_society()])
        db.session.commit()

    def count():
        with count_queries() as statements:
            response = client.get("/admin/quotas?year=2027")
        assert response.status_code == 200
        return len(statements)

    fill(10, 5)
    small = count()
    fill(490, 6)
    large = count()
    assert small == large, (small, large)
    assert small <= 14


def test_the_dashboard_reuses_its_figures_until_the_data_changes(
    app, client, count_queries, monkeypatch
):
    freeze(monkeypatch)
    organizer = make_user(Role.ORGANIZER)
    fill_events(3, month=5)
    db.session.commit()
    sign_in(client, organizer.email)

    def load(path="/admin/quotas?year=2027"):
        with count_queries() as statements:
            response = client.get(path)
        assert response.status_code == 200
        return len(statements)

    # Computing the figures takes about ten queries; reusing them, only the signed-in user's
    # and the count of host applications (read fresh: applications do not move the version).
    computed = load()
    assert computed >= 8
    assert load() <= 4  # nothing changed: reused
    fill_events(2, month=7)
    db.session.commit()
    assert load() >= 8  # a change: computed again (tests allow no staleness)
    app.config["QUOTA_DASHBOARD_STALE_SECONDS"] = 60
    fill_events(2, month=8)
    db.session.commit()
    assert load() <= 4  # within a minute of the last computation: reused
    assert load("/admin/quotas?year=2027&fresh=1") >= 8  # "recompute now"


def test_long_society_lists_are_cut_with_a_pointer_to_the_export(client, monkeypatch):
    freeze(monkeypatch)
    monkeypatch.setattr("scheduler.quotas.views.LIST_LIMIT", 2)
    organizer = make_user(Role.ORGANIZER)
    dormant = [make_society(name=f"沉寂学会{i}") for i in range(5)]
    db.session.commit()
    sign_in(client, organizer.email)
    html = client.get("/admin/quotas?year=2027&lang=en").get_data(as_text=True)
    section = html[html.index('id="dormant"') :]
    assert sum(s.name in section for s in dormant) == 2
    assert "3 more in the" in section and "export.csv" in section
