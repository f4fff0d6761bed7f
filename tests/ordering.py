"""The order ``make test`` hands whole files to its two workers: the longest first, by the
seconds each file took in a recent run (tests/durations.json), so that the run does not end
with one worker on a long file while the other waits. A file the record does not know is
counted at a tenth of a second a test. ``--store-durations`` writes the seconds of the files
a run saw into the record."""

import json
from collections import Counter
from pathlib import Path

RECORD = Path(__file__).with_name("durations.json")
ROOT = RECORD.parents[1]  # the node ids name files from here
UNKNOWN_TEST_SECONDS = 0.1


def longest_files_first(items: list) -> None:
    """Sort ``items`` in place: files by their expected seconds, longest first; a file's
    own tests keep their order (the sort is stable)."""
    known = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    counts = Counter(_file(item.nodeid) for item in items)
    expected = {
        name: known.get(name, UNKNOWN_TEST_SECONDS * count) for name, count in counts.items()
    }
    items.sort(key=lambda item: (-expected[_file(item.nodeid)], _file(item.nodeid)))


class Recorder:
    """A plugin that adds up each file's seconds (set-up, call and tear-down of every test)
    and writes the record at the end of the run."""

    def __init__(self) -> None:
        self.seconds: Counter = Counter()

    def pytest_runtest_logreport(self, report) -> None:
        self.seconds[_file(report.nodeid)] += report.duration

    def pytest_sessionfinish(self) -> None:
        """The files this run saw get their new seconds; the others keep theirs (a run of
        a few files updates only them)."""
        record = json.loads(RECORD.read_text()) if RECORD.exists() else {}
        record.update({name: round(s, 1) for name, s in self.seconds.items()})
        record = {name: s for name, s in sorted(record.items()) if (ROOT / name).exists()}
        RECORD.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")


def _file(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]
