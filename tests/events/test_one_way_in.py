"""One way in (issue #18): only events/workflow.py (and the helpers it alone calls) writes an
event's status, slots or occurrences. A scan of every module under scheduler/ finds writes
of those columns anywhere else; the second half proves that the scan does find them."""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "scheduler"

# Columns of Event and Occurrence that only the workflow writes.
GUARDED = frozenset(
    {"status", "holds_slot", "start_at", "end_at", "rrule", "exdates", "rdates", "overrides",
     "cancelled", "recurrence_id", "blocked_until", "public"}
)  # fmt: skip
MODELS = frozenset({"Event", "Occurrence"})
# Functions that write those columns for the workflow.
WRITERS = frozenset({"sync_occurrences", "apply_to"})

# Where writing them is the point (paths under scheduler/).
ALLOWED = {
    "events/workflow.py": "the one way in",
    "events/occurrences.py": "sync_occurrences: rebuilds the occurrence rows; only the "
    "workflow calls it",
    "events/input.py": "EventInput.apply_to sets the parsed fields; only the workflow calls it",
    # Explicit exception: the demo data is built in its final states (approved, held,
    # cancelled) with a ledger that keeps it free of conflicts, before anyone uses the app.
    "demo/builder.py": "demo data builder",
}
# Objects of other kinds with attributes of the same names, as the code names them.
NOT_EVENTS = {
    "plan": "planner.models.Plan (its status)",
    "entry": "feeds.reader.Entry, a VEVENT as read from a file",
    "response.cache_control": "an HTTP header",
    "r": "quotas.service.SocietyYear, whose ``cancelled`` counts events",
}
EVENT_NAME = re.compile(r"(^|_)(event|events|ev|occ|occurrence|occurrences|master|draft)$")
RAW_SQL = re.compile(
    r"\b(update|delete\s+from|insert\s+into)\s+\"?(events|occurrences)\b", re.IGNORECASE
)


def _name(node: ast.AST) -> str:
    """The called or used name: ``Event`` for Event, sa.Event, Event.__table__."""
    if isinstance(node, ast.Attribute):
        return _name(node.value) if node.attr == "__table__" else node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _looks_like_event(node: ast.AST) -> bool:
    return bool(EVENT_NAME.search(_name(node).lower()))


def _root_call(node: ast.AST) -> ast.Call | None:
    """The first call of a chain: ``sa.update(X)`` in ``sa.update(X).where(..).values(..)``."""
    found = None
    while isinstance(node, ast.Call | ast.Attribute):
        if isinstance(node, ast.Call):
            found = node
            node = node.func
        else:
            node = node.value
    return found


def _targets(node: ast.AST):
    if isinstance(node, ast.Tuple | ast.List):
        for item in node.elts:
            yield from _targets(item)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)
    else:
        yield node


def _assignment(node: ast.AST) -> list[str]:
    targets = []
    if isinstance(node, ast.Assign):
        targets = [t for target in node.targets for t in _targets(target)]
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        targets = [node.target]
    return [
        f"assigns {ast.unparse(t)}"
        for t in targets
        if isinstance(t, ast.Attribute)
        and t.attr in GUARDED
        and ast.unparse(t.value) not in NOT_EVENTS
    ]


def _bulk(call: ast.Call) -> list[str]:
    """update(Event).values(status=...), insert(Occurrence).values(...), delete(Event)."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "values":
        root = _root_call(func.value)
        if root is None or _name(root.func) not in ("update", "insert") or not root.args:
            return []
        if _name(root.args[0]) not in MODELS:
            return []
        keys = {k.arg for k in call.keywords}
        if None in keys or call.args or keys & GUARDED:  # **values or a dict: may be any
            return [f"{_name(root.func)}({ast.unparse(root.args[0])}).values(...)"]
        return []
    if _name(func) == "delete" and call.args and _name(call.args[0]) in MODELS:
        return [f"delete({ast.unparse(call.args[0])})"]
    if (
        isinstance(func, ast.Attribute)
        and func.attr in ("update", "delete")
        and ast.unparse(func.value).endswith(".__table__")
        and _name(func.value) in MODELS
    ):
        return [f"{ast.unparse(func)}()"]
    return []


def _call(call: ast.Call) -> list[str]:
    func, found = call.func, _bulk(call)
    name = _name(func)
    if name in MODELS and {k.arg for k in call.keywords} & GUARDED:
        found.append(f"builds {name}(...) with its status, times or rule")
    if name in WRITERS:
        found.append(f"calls {name}()")
    if name == "setattr" and len(call.args) >= 2:
        attr = call.args[1]
        constant = isinstance(attr, ast.Constant)
        if (constant and attr.value in GUARDED) or (
            not constant and _looks_like_event(call.args[0])
        ):
            found.append(f"{ast.unparse(call)[:60]}")
    if (
        isinstance(func, ast.Attribute)
        and func.attr == "delete"
        and ast.unparse(func.value).endswith("session")
        and call.args
        and _looks_like_event(call.args[0])
    ):
        found.append(f"deletes {ast.unparse(call.args[0])}")
    return found


def scan(source: str, path: str = "<string>") -> list[str]:
    """Each write of a guarded column in ``source``, as "path:line: what"."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        found = _assignment(node)
        if isinstance(node, ast.Call):
            found += _call(node)
        if isinstance(node, ast.Constant) and RAW_SQL.search(str(node.value)):
            found.append("SQL that writes events or occurrences")
        problems += [f"{path}:{node.lineno}: {what}" for what in found]
    return problems


def scan_package() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative not in ALLOWED:
            problems += scan(path.read_text(encoding="utf-8"), relative)
    return problems


def test_only_the_workflow_writes_status_slots_and_occurrences():
    assert scan_package() == []


def test_every_allowed_file_exists():
    # An exception for a file that is gone would let a new file of that name through.
    assert [p for p in ALLOWED if not (PACKAGE / p).is_file()] == []


@pytest.mark.parametrize(
    "source",
    [
        "event.status = EventStatus.APPROVED",
        "fresh.start_at, fresh.end_at = a, b",
        "occ.holds_slot = False",
        "row.event.exdates += [key]",
        "e.overrides: dict = {}",
        "setattr(event, 'rrule', rule)",
        "setattr(master, name, value)",
        "db.session.execute(sa.update(Occurrence).where(x).values(holds_slot=False))",
        "db.session.execute(update(Event).values(**changes))",
        "db.session.execute(sa.delete(Event).where(Event.id == 1))",
        "db.session.execute(Occurrence.__table__.delete())",
        "db.session.delete(event)",
        "Event(title='t', status=S.APPROVED)",
        "sync_occurrences(event)",
        "values.apply_to(event)",
        "db.session.execute(sa.text('UPDATE occurrences SET holds_slot = false'))",
    ],
)
def test_the_scan_finds_a_write_outside_the_workflow(source):
    assert scan(source), source


def test_the_scan_leaves_other_writes_alone():
    source = """
plan.status = PlanStatus.ACCEPTED
entry.exdates = [swap(v) for v in entry.exdates]
reminder.starts_at = start
db.session.execute(sa.update(Reminder).values(recurrence_id=rid, starts_at=start))
db.session.execute(sa.update(Event).where(Event.id == 1).values(calendar_source_id=None))
db.session.delete(source)
setattr(filters, attribute, value)
Event.status == EventStatus.APPROVED
Event(title="only fields the workflow does not guard")
"""
    assert scan(source) == []
