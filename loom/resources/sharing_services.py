"""Sharing resources and collections with clients."""

from __future__ import annotations

from datetime import datetime

from loom.accounts.models import User
from loom.core.context import system_context
from loom.resources.models import Collection, Resource, Share, ShareSource


def share_auto_for_new_client(*, coach: User, client: User, now: datetime) -> list[Share]:
    """Give a newly joined client everything ``coach`` marked "share with every new client".

    Runs inside the joining transaction (``client_joined``), in the system context:
    the person accepting an invitation is not acting as the coach.
    """
    with system_context():
        rows = [
            Share(coach=coach, client=client, resource=resource, source=ShareSource.AUTO)
            for resource in Resource.objects.filter(coach=coach, auto_share=True)
        ] + [
            Share(coach=coach, client=client, collection=collection, source=ShareSource.AUTO)
            for collection in Collection.objects.filter(coach=coach, auto_share=True)
        ]
        for row in rows:
            row.created_at = now
        # A share the client already has (re-joining) stays as it is.
        return Share.objects.bulk_create(rows, ignore_conflicts=True)
