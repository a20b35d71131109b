"""Template tags of the session pages' groups panel."""

from django import template

register = template.Library()
