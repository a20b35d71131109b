"""Template tags of the session pages' notes panel."""

from django import template

register = template.Library()
