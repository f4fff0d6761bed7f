"""Feed cache keys come from the parsed, normalized scope: a value that spells out another
query ("广州&kind=lecture" inside one city value) cannot poison that query's cache entry,
and equal scopes written differently share one entry."""

import pytest

from scheduler.enums import EventKind
from scheduler.extensions import db
from tests.factories import local, make_event, make_society, make_venue

REAL = "/calendar.ics?city=广州&kind=lecture"
ATTACKS = [
    "/calendar.ics?city=广州%26kind%3Dlecture",
    "/calendar.ics?city=广州%26kind%3Dlecture&kind=lecture",
    "/calendar.ics?city=广州%3Bkind%3Dlecture",
    "/calendar.ics?city=广州%7Ckind%3Dlecture",
    "/calendar.ics?city=广州%0Akind%3Dlecture",
    "/calendar.ics?city=广州&q=%26kind%3Dlecture",
    "/calendar.ics?city=广州%3Fkind%3Dlecture",
    "/calendar.ics?city%3D广州%26kind=lecture",
]


@pytest.fixture
def lecture(app):
    society = make_society(slug="gz-math", name="广州市数学学会", city="广州")
    hall = make_venue(slug="pearl-hall", name="珠江报告厅", city="广州")
    make_event(
        host=society,
        venue=hall,
        kind=EventKind.FORUM,
        title="数学建模论坛",
        start=local(2031, 3, 1, 9),
    )
    event = make_event(
        host=society,
        venue=hall,
        kind=EventKind.LECTURE,
        title="素数之美讲座",
        start=local(2031, 3, 2, 9),
    )
    db.session.commit()
    return event


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_forged_value_does_not_poison_the_real_querys_entry(client, lecture, attack):
    poisoned = client.get(attack)
    assert poisoned.status_code in (200, 400)
    real = client.get(REAL)
    assert real.status_code == 200
    body = real.get_data(as_text=True)
    assert "素数之美讲座" in body and "数学建模论坛" not in body
    assert real.headers["ETag"] != poisoned.headers.get("ETag")


def test_equal_scopes_written_differently_share_one_entry(client, lecture):
    tags = {
        client.get(url).headers["ETag"]
        for url in (
            REAL,
            "/calendar.ics?kind=lecture&city=广州",
            "/calendar.ics?kind=lecture&city=广州&city=广州",
            "/calendar.ics?city=%E5%B9%BF%E5%B7%9E&kind=lecture",
        )
    }
    assert len(tags) == 1
