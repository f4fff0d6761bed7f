"""The house's import contracts (.importlinter): a light package import, a pure core, floors
that point one way, and proof that the contracts catch a violation."""

import configparser
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONFIG = ROOT / ".importlinter"


def _lint(cwd: Path, config: Path, *contracts: str) -> subprocess.CompletedProcess:
    selected = [arg for c in contracts for arg in ("--contract", c)]
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(config), *selected],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_core_imports_without_flask_or_sqlalchemy():
    code = textwrap.dedent(
        """
        import sys
        import scheduler.rules, scheduler.planner.core.solve, scheduler.planner.core.verify
        import scheduler.feeds.reader  # the .ics reader (tests/feeds/test_reader_pure.py)
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "sqlalchemy"))
        assert not heavy, heavy
        from scheduler import create_app  # the factory is still there, loaded lazily
        assert callable(create_app) and "flask" not in sys.modules
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_the_app_starts_without_loading_the_solver():
    """OR-Tools (with pandas) loads at the first plan and openpyxl (with numpy) at the first
    workbook, not in every web worker and
    scheduler process at start (scheduler/planner/apply.py: _solver)."""
    code = textwrap.dedent(
        """
        import sys
        from scheduler import create_app
        create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
        assert "flask" in sys.modules
        late = sorted(m for m in ("ortools", "pandas", "numpy", "openpyxl") if m in sys.modules)
        assert not late, late
        import scheduler.planner.apply as apply
        assert apply._solver().__name__ == "scheduler.planner.core.solve"
        assert "ortools" in sys.modules
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_the_repository_keeps_its_contracts():
    done = _lint(ROOT, CONFIG)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def _toy_package(tmp_path: Path) -> Path:
    """Every layer of the real contracts as an empty package under ``toy`` instead of
    ``scheduler``, and a config with the same contracts (stale ignores tolerated)."""
    text = CONFIG.read_text().replace("scheduler", "toy")
    text = re.sub(
        r"^(\[importlinter:contract:[^\]]+\])$",
        r"\1\nunmatched_ignore_imports_alerting = none",
        text,
        flags=re.M,
    )
    config = tmp_path / "toy.ini"
    config.write_text(text)
    parser = configparser.ConfigParser()
    parser.read_string(text)
    names = set()
    for section in parser.sections():
        for key in ("layers", "source_modules", "forbidden_modules"):
            for line in parser[section].get(key, "").split("\n"):
                names.update(n.strip(" ()") for n in line.split(":") if n.strip())
    names = {n for n in names if n.startswith("toy") and "*" not in n}
    for name in {*names, "toy.events.models", "toy.jobs.reminders"}:
        path = tmp_path.joinpath(*name.split("."))
        path.mkdir(parents=True, exist_ok=True)
        (path / "__init__.py").touch()
    return config


def test_a_core_module_importing_flask_or_a_model_breaks_the_contracts(tmp_path):
    config = _toy_package(tmp_path)
    assert _lint(tmp_path, config).returncode == 0  # the empty toy keeps every contract
    (tmp_path / "toy/rules/engine.py").write_text("import flask\nfrom toy.events import models\n")
    (tmp_path / "toy/feeds/reader/__init__.py").write_text(
        "import flask_babel\nfrom toy import errors\n"
    )

    done = _lint(tmp_path, config, "pure-core", "core-at-the-bottom")

    assert done.returncode == 1
    assert "toy.rules.engine -> flask" in done.stdout
    assert "toy.rules.engine -> toy.events.models" in done.stdout
    assert "toy.feeds.reader -> flask_babel" in done.stdout
    assert "toy.feeds.reader -> toy.errors" in done.stdout
    assert "2 broken" in done.stdout


def test_a_lower_floor_importing_a_higher_one_breaks_the_floors(tmp_path):
    config = _toy_package(tmp_path)
    (tmp_path / "toy/events/workflow.py").write_text("from toy.jobs import reminders\n")

    done = _lint(tmp_path, config, "floors")

    assert done.returncode == 1
    assert "toy.events is not allowed to import toy.jobs" in done.stdout
    assert "toy.events.workflow -> toy.jobs.reminders" in done.stdout
