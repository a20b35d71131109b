"""URLs of the wellbeing_goals namespace (full paths: included at the root)."""

from django.urls import path

from loom.wellbeing import views_goals as views

app_name = "wellbeing_goals"

urlpatterns = [
    path("goals/", views.goal_list, name="list"),
    path("goals/new/", views.goal_new, name="new"),
    path("goals/<int:goal_id>/", views.goal_detail, name="detail"),
    path("goals/<int:goal_id>/edit/", views.goal_edit, name="edit"),
    path("goals/<int:goal_id>/delete/", views.goal_delete, name="delete"),
    path("goals/<int:goal_id>/status/", views.goal_status, name="status"),
    path("goals/<int:goal_id>/answer/", views.goal_answer, name="answer"),
    path("goals/<int:goal_id>/progress/", views.goal_progress, name="progress"),
    path("goals/<int:goal_id>/milestones/", views.milestone_add, name="milestone_add"),
    path("goals/<int:goal_id>/action-items/", views.action_item_link, name="link"),
    path(
        "goals/<int:goal_id>/action-items/<int:item_id>/unlink/",
        views.action_item_unlink,
        name="unlink",
    ),
    path(
        "goals/milestones/<int:milestone_id>/toggle/",
        views.milestone_toggle,
        name="milestone_toggle",
    ),
    path("goals/milestones/<int:milestone_id>/edit/", views.milestone_edit, name="milestone_edit"),
    path(
        "goals/milestones/<int:milestone_id>/delete/",
        views.milestone_delete,
        name="milestone_delete",
    ),
    path("goals/milestones/<int:milestone_id>/move/", views.milestone_move, name="milestone_move"),
    path("coach/clients/<int:client_id>/goals/propose/", views.goal_propose, name="propose"),
    path("coach/goals/<int:goal_id>/withdraw/", views.goal_withdraw, name="withdraw"),
]
