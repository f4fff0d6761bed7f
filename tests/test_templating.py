"""Compiled templates are shared by every app of a process (scheduler/templating.py)."""

from jinja2 import DictLoader, Environment

from scheduler import create_app
from scheduler.templating import COMPILED, CompiledTemplates


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
