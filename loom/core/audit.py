"""Writing audit rows. Call inside the transaction of the action being audited."""

from __future__ import annotations

from typing import Any

from django.db import models

from loom.core.context import client_ip_var, request_id_var, system_context
from loom.core.models import AuditLog


def audit_record(
    *,
    action: str,
    actor: Any = None,
    target: models.Model | None = None,
    details: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditLog:
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    # Written by the system on the actor's behalf: under row-level security a person
    # reads back only rows naming them, and INSERT ... RETURNING must read the new
    # row — which fails for rows with another or no actor (a failed sign-in).
    with system_context():
        return AuditLog.objects.create(
            actor_id=actor_id if getattr(actor, "is_authenticated", True) else None,
            action=action,
            target_type=target._meta.label_lower if target is not None else "",
            target_id=str(target.pk) if target is not None else "",
            ip_address=ip_address or client_ip_var.get(),
            request_id=request_id_var.get(),
            details=details or {},
        )
