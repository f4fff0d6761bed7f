"""No function under scheduler/ is longer than a screen (the house style: functions that fit
on a screen). Counted from its ``def`` line to its last line, docstring and comments included;
nested functions and methods count on their own (and inside the one around them)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "scheduler"
MAX_LINES = 80

# "path:function" -> why it may be longer. Only generated data belongs here (a table
# written by a script, say); there is none today.
ALLOWED: dict[str, str] = {}


def long_functions(source: str, path: str = "<string>", limit: int = MAX_LINES) -> list:
    """(where, lines) of each function in ``source`` longer than ``limit`` lines."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = node.end_lineno - node.lineno + 1
            if lines > limit:
                out.append((f"{path}:{node.name}", lines))
    return out


def test_no_function_is_longer_than_a_screen():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        found += long_functions(path.read_text(encoding="utf-8"), where)
    too_long = [f"{where} has {n} lines" for where, n in found if where not in ALLOWED]
    assert not too_long, f"Split these into named steps (at most {MAX_LINES} lines each):\n" + (
        "\n".join(too_long)
    )


def test_every_allowed_function_still_exists_and_is_long():
    """An entry of the allow-list goes once its function is split (or gone)."""
    found = set()
    for path in sorted(ROOT.rglob("*.py")):
        found |= {w for w, _n in long_functions(path.read_text(encoding="utf-8"),
                                                path.relative_to(ROOT).as_posix())}  # fmt: skip
    assert set(ALLOWED) <= found


def _function(name: str, lines: int, indent: str = "") -> str:
    """Source of a function of exactly ``lines`` lines."""
    body = [f"{indent}    x = {i}" for i in range(lines - 2)]
    return "\n".join([f"{indent}def {name}():", *body, f"{indent}    return x"]) + "\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (_function("short", MAX_LINES), []),
        (_function("long", MAX_LINES + 1), [("m.py:long", MAX_LINES + 1)]),
        (  # a long method and an async function are found too, under their own names
            "class C:\n" + _function("method", 90, "    ") + "\nasync " + _function("go", 85),
            [("m.py:method", 90), ("m.py:go", 85)],
        ),
        (  # the decorators above a function do not count
            "@decorator\n@other(1)\n" + _function("decorated", MAX_LINES),
            [],
        ),
    ],
    ids=["80-lines-pass", "81-lines-fail", "method-and-async", "decorators-not-counted"],
)
def test_the_check_finds_long_functions(source, expected):
    assert sorted(long_functions(source, "m.py")) == sorted(expected)
