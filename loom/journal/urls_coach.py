"""URLs of the journal_coach namespace (full paths: included at the root).

The client's sharing and comment actions (POST, back to ``journal:entry``) and the
coach's pages: a shared entry, its audio, comments, and the coach's prompts.
"""

from django.urls import URLPattern, path

from loom.journal import views_coach as views

app_name = "journal_coach"

urlpatterns: list[URLPattern] = [
    # The client's actions on their own entry.
    path("journal/<int:entry_id>/share/", views.share, name="share"),
    path("journal/<int:entry_id>/unshare/", views.unshare, name="unshare"),
    path("journal/<int:entry_id>/comments/", views.comment_add, name="comment_add"),
    path("journal/comments/<int:comment_id>/delete/", views.comment_delete, name="comment_delete"),
    # The coach's side.
    path("coach/journal/prompts/", views.prompts, name="prompts"),
    path("coach/journal/prompts/<int:prompt_id>/edit/", views.prompt_edit, name="prompt_edit"),
    path(
        "coach/journal/prompts/<int:prompt_id>/toggle/",
        views.prompt_toggle,
        name="prompt_toggle",
    ),
    path(
        "coach/journal/prompts/<int:prompt_id>/delete/",
        views.prompt_delete,
        name="prompt_delete",
    ),
    path("coach/journal/<int:entry_id>/", views.entry, name="entry"),
    path("coach/journal/<int:entry_id>/audio/", views.audio, name="audio"),
    path(
        "coach/journal/<int:entry_id>/comments/",
        views.coach_comment_add,
        name="coach_comment_add",
    ),
    path(
        "coach/journal/comments/<int:comment_id>/delete/",
        views.coach_comment_delete,
        name="coach_comment_delete",
    ),
]
