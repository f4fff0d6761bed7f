"""Benchmark: drawing share cards (scheduler/share/card.py), first and from the page cache.

    .venv/bin/python bench/share_card.py            # 12 cards
    .venv/bin/python bench/share_card.py --cards 30

A throw-away SQLite database with one series, one venue and N events; the app with its page
cache on serves /events/<id>/card.png to an anonymous test client: each card once (drawn)
and once more (kept). Prints the first card of the process (font files opened), the median
of the others (wall and CPU time of the whole request), the median page-cache hit and the
PNG size.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scheduler import create_app
from scheduler.extensions import db
from tests.factories import local, make_event, make_series, make_society, make_venue


def timed(client, url: str) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return (
        (time.perf_counter() - wall) * 1000,
        (time.process_time() - cpu) * 1000,
        len(response.data),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=12)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            "test",
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/bench.db",
            FEED_VERSION_FILE=f"{folder}/feed-version",
            PAGE_CACHE=True,
            PAGE_CACHE_DIR=f"{folder}/page-cache",
        )
        with app.app_context():
            db.create_all()
            series = make_series(name="岭南科学论坛", color="#c0392b")
            hall = make_venue(name="广东科学馆学术报告厅", city="广州", address="连新路171号")
            host = make_society(name="广东省人工智能学会")
            ids = [
                make_event(start=local(2031, 6, 1 + i, 19), series=series, venue=hall, host=host,
                           title=f"人工智能与未来城市：从大模型到智慧交通的关键问题（{i + 1}）").id
                for i in range(options.cards)
            ]  # fmt: skip
            db.session.commit()
            client = app.test_client()
            client.get("/")  # templates compiled before the first card
            drawn = [timed(client, f"/events/{i}/card.png") for i in ids]
            kept = [timed(client, f"/events/{i}/card.png") for i in ids]
        rest = drawn[1:] or drawn
        print(f"first card:  {drawn[0][0]:6.0f} ms wall, {drawn[0][1]:5.0f} ms CPU")
        print(
            f"drawn cards: {statistics.median(w for w, _c, _n in rest):6.0f} ms wall, "
            f"{statistics.median(c for _w, c, _n in rest):5.0f} ms CPU (median of {len(rest)})"
        )
        print(
            f"kept cards:  {statistics.median(w for w, _c, _n in kept):6.1f} ms wall "
            "(page cache hit, median)"
        )
        size = statistics.median(n for _w, _c, n in drawn) / 1024
        print(f"PNG size:    {size:6.0f} KB")


if __name__ == "__main__":
    main()
