"""Twenty societies race for one hall through a real running server: exactly one wins.

PostgreSQL enforces it with the exclusion constraint; SQLite serializes check-and-write.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

from scheduler import create_app
from scheduler.accounts.models import ApiToken, Role
from scheduler.events.models import Occurrence
from scheduler.extensions import db
from tests.factories import make_society, make_user, make_venue

RACERS = 20


def serve(database_url):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_port}"


def test_concurrent_submissions_for_one_slot(app, database_url):
    hall = make_venue(slug="race-hall", capacity=500, buffer_minutes=30)
    racers = []
    for n in range(RACERS):
        society = make_society(slug=f"racer-{n}")
        row, plain = ApiToken.issue(make_user(Role.EDITOR, society=society))
        db.session.add(row)
        racers.append((society.slug, {"Authorization": f"Bearer {plain}"}))
    db.session.commit()

    server, base = serve(database_url)
    try:
        ids = []
        for n, (slug, headers) in enumerate(racers):
            body = {
                "title": f"抢场活动{n}",
                "kind": "forum",
                "host": slug,
                "venue": "race-hall",
                # all different times but every one overlaps 14:00-16:00 (+30 min buffer)
                "start": f"2032-03-05T{13 + n % 3}:{(n * 7) % 60:02d}",
                "end": "2032-03-05T16:00",
            }
            response = requests.post(
                f"{base}/api/v1/events", json=body, headers=headers, timeout=30
            )
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])

        barrier = threading.Barrier(RACERS)

        def submit(pair):
            event_id, (_, headers) = pair
            barrier.wait()
            return requests.post(
                f"{base}/api/v1/events/{event_id}/submit", headers=headers, timeout=60
            )

        with ThreadPoolExecutor(RACERS) as pool:
            responses = list(pool.map(submit, zip(ids, racers)))
    finally:
        server.shutdown()

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (RACERS - 1), statuses
    for response in responses:
        if response.status_code == 409:
            rules = {f["rule"] for f in response.json()["findings"]}
            assert "venue_overlap" in rules
    db.session.commit()  # a fresh snapshot
    holders = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Occurrence.event_id))).where(
            Occurrence.venue_id == hall.id, Occurrence.holds_slot.is_(True)
        )
    )
    assert holders == 1
