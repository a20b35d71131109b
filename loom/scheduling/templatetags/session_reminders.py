"""Template tags of the session pages' reminders panel."""

from django import template

register = template.Library()
