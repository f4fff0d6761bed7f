"""The jobs' clock: every job asks it for "now", so tests and crash drills can move time
(JOBS_CLOCK_OFFSET_SECONDS) instead of waiting for it."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class Clock:
    """Real time shifted by ``offset``."""

    offset: timedelta = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    @classmethod
    def from_config(cls, config) -> "Clock":
        return cls(timedelta(seconds=float(config.get("JOBS_CLOCK_OFFSET_SECONDS") or 0)))


@dataclass
class FixedClock:
    """A clock that stands still until a test moves it."""

    at: datetime

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta) -> datetime:
        self.at += timedelta(**delta)
        return self.at
