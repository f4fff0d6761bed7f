"""Property-based fuzzing of every page, feed and form (Hypothesis): no input gives a 5xx.

The URL map is walked, so a new route is fuzzed without being listed here. Each GET rule is
requested with generated path values (real ids and slugs, ids beyond any integer column,
free text) and query arguments (the names the views read, with hostile values: the years 1
and 9999, NUL, "²", 1e999, broken RRULEs, 20-digit numbers, off-site ``next`` paths...),
anonymously, as an organizer and as a society editor. Each POST rule (every form) is sent
the field names its page's forms carry, with generated values and a valid CSRF token, as an
organizer and as an editor. The API is fuzzed against its schema by tests/api/.

Every response must be below 500. Failures are collected (not shrunk) so one run lists them
all; the number of inputs tried is printed. Examples are bounded and derandomized: the same
inputs on every run (1,378 per database), about half a minute for both databases.
"""

import re
from collections import Counter
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.routing import AnyConverter, IntegerConverter

from scheduler.accounts.models import Role
from scheduler.enums import EventStatus
from scheduler.events.workflow import ACTIONS
from scheduler.extensions import db
from scheduler.feeds.tokens import issue_feed_token
from tests.conftest import FreshGlobalsClient, csrf_token, sign_in
from tests.factories import (
    local,
    make_campaign,
    make_event,
    make_person,
    make_series,
    make_society,
    make_user,
    make_venue,
)

# A long module: -m "not slow" leaves it out.
pytestmark = pytest.mark.slow

# Examples per rule and role: GET pages, POST forms (anonymous requests only GET).
GET_EXAMPLES, POST_EXAMPLES = 5, 8
SKIPPED = {"static", "accounts.logout"}  # files on disk; signing out ends the run's session
QUERY_NAMES = (
    "view",
    "month",
    "week",
    "from",
    "to",
    "kind",
    "city",
    "society",
    "series",
    "venue",
    "campaign",
    "audience",
    "q",
    "page",
    "per_page",
    "limit",  # /embed
    "url",  # /qr.svg
    "year",
    "lang",
    "status",
    "next",
    "fresh",
    "new",
    "major",
    "state",
    "inactive",
    "scarce",
    "report",
    "v",
)
HOSTILE = [
    "",
    "0",
    "-1",
    "²",
    "１２",
    "1e999",
    "Infinity",
    "NaN",
    "99999999999999999999",
    "9223372036854775808",
    "2147483648",
    "0001-01-01",
    "9999-12-31",
    "0001-01",
    "9999-12",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2031-02-30",
    "\x00",
    "a\x00b",
    "FREQ=WEEKLY;INTERVAL=0;COUNT=3",
    "FREQ=WEEKLY;INTERVAL=-1;COUNT=3",
    "FREQ=DAILY;BYSECOND=60;COUNT=2",
    "FREQ=DAILY",
    "true",
    "on",
    "%",
    "'",
    '"',
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "//evil.example",
    "/%09/evil.example",
    "/\n/evil",
    "广州",
    "ü" * 300,
    "a,b,,c",
    "organizer",
    "editor",
    "draft",
    "approved",
    "lecture",
    "2031-06-01",
    "2031-06-01T09:00",
    "2031-06",
]
NAME = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')
ACTION = re.compile(r'<form[^>]*\baction="([^"]+)"[^>]*>', re.IGNORECASE)


def values(extra: list) -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(HOSTILE + [str(x) for x in extra]),
        st.text(max_size=24),
        st.integers(-(2**70), 2**70).map(str),
        st.dates().map(lambda d: d.isoformat()),
    )


@pytest.fixture
def world(app):
    """Rows of every kind, with names unlike the demo's."""
    society = make_society(slug="ha-agri", name="哈尔滨市农学会", city="哈尔滨")
    other = make_society(slug="cc-auto", name="长春市汽车工程学会", city="长春")
    hall = make_venue(slug="ice-hall", name="冰城会堂", city="哈尔滨")
    person = make_person(slug="zhao-xue", name="赵雪院士")
    series = make_series(slug="black-soil-forum", name="黑土地论坛")
    campaign = make_campaign(slug="north-science-week", name="北国科技周")
    events = [
        make_event(
            host=society,
            venue=hall,
            series=series,
            status=status,
            cohosts=[other],
            speakers=[person],
            start=local(2031, 7, 1 + n, 9),
        )
        for n, status in enumerate(EventStatus)
    ]
    organizer = make_user(Role.ORGANIZER, email="staff@hlj.example.cn")
    editor = make_user(Role.EDITOR, society=society, email="agri@hrb.example.cn")
    victims = [make_user(Role.EDITOR, society=other, email=f"v{n}@cc.example.cn") for n in (1, 2)]
    db.session.commit()
    feed = issue_feed_token(editor)
    slugs = [s.slug for s in (society, other, hall, person, series, campaign)]
    ids = {
        "event_id": [e.id for e in events],
        "user_id": [u.id for u in victims],
    }
    return {
        "organizer": organizer.email,
        "editor": editor.email,
        "slugs": slugs,
        "ids": ids,
        "texts": [*slugs, feed, *ACTIONS, "societies", "venues", "people", "series", "campaigns"],
    }


def path_values(rule, world) -> st.SearchStrategy:
    parts = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            real = world["ids"].get(name, [1, 2])
            parts[name] = st.one_of(
                st.sampled_from(real), st.integers(0, 2**70), st.just(2**31), st.just(2**63)
            )
        elif isinstance(converter, AnyConverter):
            parts[name] = st.sampled_from(sorted(converter.items))
        else:
            parts[name] = st.one_of(
                st.sampled_from(world["texts"]),
                st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=20),
                st.sampled_from(["a\x00b", "²", "..", "%00", "9" * 25]),
            )
    return st.fixed_dictionaries(parts)


def build(rule, app, path: dict) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        return adapter.build(rule.endpoint, path, method=next(iter(rule.methods)))
    except Exception:  # a generated value the converter cannot write
        return None


class Fuzz:
    def __init__(self, app, world):
        self.app, self.world = app, world
        self.tried = Counter()
        self.statuses = Counter()
        self.failures: list[str] = []
        self.clients = {"anonymous": self._client(None)}
        self.clients["organizer"] = self._client(world["organizer"])
        self.clients["editor"] = self._client(world["editor"])
        self.fields = self._crawl()

    def _client(self, email: str | None):
        self.app.test_client_class = FreshGlobalsClient
        client = self.app.test_client()
        client.token = sign_in(client, email) if email else csrf_token(client, "/login")
        client.email = email
        return client

    def _crawl(self) -> dict[str, set]:
        """Field names per form action, from every GET page the organizer and editor see."""
        fields: dict[str, set] = {}
        for rule in self.app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.arguments or rule.endpoint in SKIPPED:
                continue
            for role in ("organizer", "editor"):
                html = self.clients[role].get(rule.rule).get_data().decode(errors="replace")
                for action, names in _forms(html):
                    fields.setdefault(action, set()).update(names)
        return fields

    def record(self, role, method, url, data, response) -> None:
        self.tried[(role, method)] += 1
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            snippet = response.get_data()[:200].decode(errors="replace")
            self.failures.append(
                f"{role} {method} {url!r} {data!r} -> {response.status_code} {snippet!r}"
            )

    def names_for(self, rule) -> list[str]:
        pattern = re.compile("^" + re.sub(r"<[^>]+>", "[^/]+", rule.rule) + "$")
        names = {n for action, found in self.fields.items() if pattern.match(action) for n in found}
        if not names:  # a form no page shows: every field name seen anywhere
            names = {n for found in self.fields.values() for n in found}
        return sorted(names - {"csrf_token"})

    def resign(self, role: str) -> None:
        client = self.clients[role]
        if client.email and client.get("/portal/feeds").status_code != 200:
            self.clients[role] = self._client(client.email)  # signed out by what was sent


def _forms(html: str):
    for match in ACTION.finditer(html):
        end = html.find("</form>", match.end())
        yield match.group(1).split("?")[0], set(NAME.findall(html[match.end() : end]))


FAST = settings(
    max_examples=GET_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def fuzz_get(fuzz: Fuzz, rule, role: str) -> None:
    client = fuzz.clients[role]

    @FAST
    @given(
        path=path_values(rule, fuzz.world),
        query=st.dictionaries(
            st.sampled_from(QUERY_NAMES), values(fuzz.world["slugs"]), max_size=3
        ),
    )
    def run(path, query):
        url = build(rule, fuzz.app, path)
        if url is None:
            return
        url += ("?" + urlencode(query)) if query else ""
        fuzz.record(role, "GET", url, None, client.get(url))

    run()


def fuzz_post(fuzz: Fuzz, rule, role: str) -> None:
    names = fuzz.names_for(rule) or ["name"]

    @settings(FAST, max_examples=POST_EXAMPLES)
    @given(
        path=path_values(rule, fuzz.world),
        form=st.dictionaries(
            st.sampled_from(names), values(fuzz.world["slugs"]), min_size=1, max_size=12
        ),
    )
    def run(path, form):
        url = build(rule, fuzz.app, path)
        if url is None:
            return
        client = fuzz.clients[role]
        data = {**form, "csrf_token": client.token}
        fuzz.record(role, "POST", url, form, client.post(url, data=data))

    run()
    fuzz.resign(role)


def page_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint not in SKIPPED and not rule.rule.startswith("/api/"):
            yield rule


def test_no_page_feed_or_form_answers_5xx(app, world, capsys):
    fuzz = Fuzz(app, world)
    for rule in page_rules(app):
        if "GET" in rule.methods:
            for role in ("anonymous", "organizer", "editor"):
                fuzz_get(fuzz, rule, role)
        if "POST" in rule.methods:
            for role in ("organizer", "editor"):
                fuzz_post(fuzz, rule, role)
    total = sum(fuzz.tried.values())
    with capsys.disabled():
        print(
            f"\nfuzzed pages and forms: {total} inputs, {dict(fuzz.tried)}, "
            f"statuses {dict(sorted(fuzz.statuses.items()))}"
        )
    assert total > 400
    assert not fuzz.failures, "\n".join(fuzz.failures[:30])
