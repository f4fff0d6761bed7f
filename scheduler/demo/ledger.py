"""The slots the demo has handed out so far, and the error it raises."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from ..people.models import Person
from ..recurrence import Slot
from ..venues.models import Venue


class DemoDataError(RuntimeError):
    """The demo data cannot be loaded (database not empty, or the data would conflict)."""


class Ledger:
    """Time slots held per venue and per speaker while the demo data is built."""

    def __init__(self) -> None:
        self.venues: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
        self.people: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)

    def free(self, venue: Venue | None, people: Sequence[Person], slots: Sequence[Slot]) -> bool:
        if venue is not None and not venue.is_online:
            pad = timedelta(minutes=venue.buffer_minutes)
            for begin, end in self.venues[venue.slug]:
                if any(s.start < end + pad and begin < s.end + pad for s in slots):
                    return False
        for person in people:
            for begin, end in self.people[person.slug]:
                if any(s.start < end and begin < s.end for s in slots):
                    return False
        return True

    def hold(self, venue: Venue | None, people: Sequence[Person], slots: Sequence[Slot]) -> None:
        for slot in slots:
            if venue is not None and not venue.is_online:
                self.venues[venue.slug].append((slot.start, slot.end))
            for person in people:
                self.people[person.slug].append((slot.start, slot.end))
