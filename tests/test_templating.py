"""Compiled templates are shared by every app of a process, and pages take their fields'
maxlength from the limits the server checks (scheduler/templating.py)."""

import re
from pathlib import Path

from jinja2 import DictLoader, Environment

from scheduler import create_app
from scheduler.accounts.models import Role
from scheduler.extensions import db
from scheduler.people import models as people
from scheduler.templating import COMPILED, CompiledTemplates, field_limits
from tests.conftest import sign_in
from tests.factories import make_society, make_user


class CountingEnvironment(Environment):
    compiled = 0

    def _compile(self, source, filename):
        CountingEnvironment.compiled += 1
        return super()._compile(source, filename)


def _environment(cache, source: str) -> CountingEnvironment:
    return CountingEnvironment(loader=DictLoader({"page.html": source}), bytecode_cache=cache)


def test_a_template_is_compiled_once_per_process_and_again_when_it_changes():
    cache, CountingEnvironment.compiled = CompiledTemplates(), 0
    first = _environment(cache, "<p>{{ name }}</p>")
    assert first.get_template("page.html").render(name="广州") == "<p>广州</p>"
    assert CountingEnvironment.compiled == 1

    second = _environment(cache, "<p>{{ name }}</p>")  # another app, the same template
    assert second.get_template("page.html").render(name="深圳") == "<p>深圳</p>"
    assert CountingEnvironment.compiled == 1

    changed = _environment(cache, "<b>{{ name }}</b>")  # a template edited on disk
    assert changed.get_template("page.html").render(name="佛山") == "<b>佛山</b>"
    assert CountingEnvironment.compiled == 2


def test_every_app_uses_the_process_wide_cache():
    apps = [create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://") for _ in range(2)]
    assert all(app.jinja_env.bytecode_cache is COMPILED for app in apps)


# --- maxlength from the server's limits --------------------------------------------------------

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def test_no_page_writes_a_maxlength_by_hand():
    """A page's maxlength is an expression of the named limits (field_limits, or a value the
    view passes), so changing a limit changes the page."""
    literal = [
        f"{path.relative_to(TEMPLATES)}:{n}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r'maxlength="\d', line)
    ]
    assert literal == []


def test_every_limit_a_page_names_exists():
    """An unknown name would render as an empty maxlength, silently."""
    limits = vars(field_limits())
    used = {
        name
        for path in TEMPLATES.rglob("*.html")
        for name in re.findall(r"field_limits\.(\w+)", path.read_text())
    }
    assert used and used <= set(limits), used - set(limits)
    assert all(isinstance(value, int) and value > 0 for value in limits.values())


def test_the_speaker_dialog_takes_the_people_limits(app, client):
    editor = make_user(Role.EDITOR, make_society(slug="lz-geo", name="兰州地质学会"))
    db.session.commit()
    sign_in(client, editor.email)
    page = client.get("/portal/speakers/new").get_data(as_text=True)
    assert f'name="name" maxlength="{people.MAX_NAME}"' in page
    assert f'name="affiliation" maxlength="{people.MAX_AFFILIATION}"' in page
