"""Who is calling a use case, and the audit entry every touch of personal data leaves."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from safewatch.cases.access import Actor
from safewatch.core.roles import Role
from safewatch.store import audit


@dataclass(frozen=True)
class Caller:
    actor: Actor
    stated_reason: str | None = None  # from the X-Safewatch-Reason header, when a person gives one

    @property
    def role(self) -> Role:
        return self.actor.role

    @property
    def user_id(self) -> uuid.UUID:
        return self.actor.user_id

    @property
    def agency_id(self) -> uuid.UUID | None:
        return self.actor.agency_id

    def record(
        self,
        session: Session,
        action: str,
        entity: str,
        entity_id: object | None,
        purpose: str,
        case_id: uuid.UUID | None = None,
    ) -> None:
        reason = purpose if not self.stated_reason else f"{purpose}: {self.stated_reason}"
        audit.append(
            session,
            audit.AuditRecord(
                actor_id=self.actor.user_id,
                actor_role=self.actor.role.value,
                action=action,
                entity=entity,
                entity_id=None if entity_id is None else str(entity_id),
                reason=reason,
                case_id=case_id,
            ),
        )


def system_record(
    session: Session, action: str, entity: str, entity_id: object | None, reason: str
) -> None:
    """An audit entry for work done by the system or the command line, not a signed-in person."""
    audit.append(
        session,
        audit.AuditRecord(
            actor_id=None,
            actor_role="system",
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            reason=reason,
        ),
    )
