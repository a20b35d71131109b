"""Template tags of the session pages' calendar panel."""

from django import template

register = template.Library()
