"""Writing and reading the audit trail."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from .models import AuditEntry


def record(entity_type: str, entity_id: int, action: str, by, changes=None, reason="") -> None:
    """Add an audit entry to the current transaction (it commits with the change itself)."""
    db.session.add(
        AuditEntry(
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            actor_id=by.id if by is not None else None,
            changes=changes or {},
            reason=reason or "",
        )
    )


def trail(entity_type: str, entity_id: int) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.at, AuditEntry.id)
            .options(selectinload(AuditEntry.actor))
        )
    )
