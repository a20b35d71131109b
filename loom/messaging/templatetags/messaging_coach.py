"""The Messages tab of a coach's client page: the conversation at a glance.

    {% load messaging_coach %}{% coach_client_conversation request client %}

Shows when the last message was sent, the preview line the inbox shows, how many of
the client's messages the coach has not read, and a link into the conversation
(one query).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string

from loom.messaging.models import Conversation
from loom.messaging.selectors import message_preview, unread_subquery

register = template.Library()


@register.simple_tag
def coach_client_conversation(request: Any, client: Any) -> str:
    coach = request.user
    conversation = (
        Conversation.objects.filter(coach_id=coach.pk, client_id=client.pk)
        .select_related("last_message")
        .annotate(unread=unread_subquery(coach))
        .first()
    )
    return render_to_string(
        "messaging/_coach_client_tab.html",
        {
            "client": client,
            "conversation": conversation,
            "preview": message_preview(conversation.last_message) if conversation else "",
        },
        request=request,
    )
