"""The scheduler lease: one row that the active scheduler renews with a heartbeat. Another
scheduler process waits; once the lease has expired (its holder died) it takes it over.

Each function is one short transaction and takes ``now`` from the caller's clock.
"""

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..database import serialized_writes
from ..extensions import db
from .models import SchedulerLease

NAME = "scheduler"


@dataclass(frozen=True)
class Lease:
    holder: str
    epoch: int
    expires_at: datetime

    def valid(self, now: datetime, margin: timedelta = timedelta(0)) -> bool:
        return now < self.expires_at - margin


def new_holder_id() -> str:
    """Who we are: host, process and a random part (a restarted pid is someone else)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def current() -> SchedulerLease | None:
    return db.session.get(SchedulerLease, NAME)


def try_acquire(holder: str, now: datetime, ttl: timedelta) -> Lease | None:
    """Take the lease if it is free, expired or already ours; None while another holds it."""
    with serialized_writes():
        row = db.session.scalar(
            sa.select(SchedulerLease).where(SchedulerLease.name == NAME).with_for_update()
        )
        if row is None:
            row = SchedulerLease(name=NAME, holder=holder, epoch=1, acquired_at=now)
            db.session.add(row)
        elif row.holder != holder:
            if row.expires_at > now:
                db.session.rollback()
                return None
            row.epoch += 1
            row.acquired_at = now
        row.holder, row.renewed_at, row.expires_at = holder, now, now + ttl
        lease = Lease(holder, row.epoch, row.expires_at)
        try:
            db.session.commit()
        except sa.exc.IntegrityError:  # another process inserted the first row meanwhile
            db.session.rollback()
            return None
    return lease


def renew(lease: Lease, now: datetime, ttl: timedelta) -> Lease | None:
    """Extend our lease; None when someone else has taken it over."""
    with serialized_writes():
        result = db.session.execute(
            sa.update(SchedulerLease)
            .where(
                SchedulerLease.name == NAME,
                SchedulerLease.holder == lease.holder,
                SchedulerLease.epoch == lease.epoch,
            )
            .values(renewed_at=now, expires_at=now + ttl)
        )
        db.session.commit()
    if result.rowcount != 1:
        return None
    return Lease(lease.holder, lease.epoch, now + ttl)


def release(lease: Lease, now: datetime) -> None:
    """Give the lease up on a clean stop, so a waiting scheduler takes over at once."""
    with serialized_writes():
        db.session.execute(
            sa.update(SchedulerLease)
            .where(SchedulerLease.name == NAME, SchedulerLease.holder == lease.holder)
            .values(expires_at=now)
        )
        db.session.commit()
