"""The client's sharing choices: what their coaches see beyond entries shared one by one.

Two switches (``SharingPreference``): check-in moods (mood, energy and emotion names —
never the notes) and goals. Changing them is audited ("wellbeing.sharing_changed",
before and after) in the same transaction, since it decides who may read wellness data.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loom.accounts.models import Role, User
from loom.core.audit import audit_record
from loom.core.errors import Forbidden
from loom.wellbeing.models import SharingPreference


@dataclass(frozen=True)
class SharingChange:
    preference: SharingPreference
    changed: bool


@transaction.atomic
def sharing_update(*, client: User, share_checkins: bool, share_goals: bool) -> SharingChange:
    """Set both switches. A request that changes nothing writes no audit row, so a
    form sent twice or an API retry leaves one record of the change."""
    if client.role != Role.CLIENT:
        raise Forbidden(_("Only clients choose what they share."))
    if not isinstance(share_checkins, bool) or not isinstance(share_goals, bool):
        raise TypeError("share_checkins and share_goals are booleans")
    # get_or_create survives two first saves racing (it re-reads after the unique
    # constraint refuses the second insert); the row lock then orders the updates.
    created = SharingPreference.objects.get_or_create(client_id=client.pk)[0]
    preference = SharingPreference.objects.select_for_update().get(pk=created.pk)
    before = {"share_checkins": preference.share_checkins, "share_goals": preference.share_goals}
    after = {"share_checkins": share_checkins, "share_goals": share_goals}
    if before == after:
        return SharingChange(preference=preference, changed=False)
    preference.share_checkins = share_checkins
    preference.share_goals = share_goals
    preference.updated_at = timezone.now()
    preference.save(update_fields=["share_checkins", "share_goals", "updated_at"])
    audit_record(
        action="wellbeing.sharing_changed",
        actor=client,
        target=preference,
        details={"before": before, "after": after},
    )
    return SharingChange(preference=preference, changed=True)
