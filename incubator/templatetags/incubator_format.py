"""`{% load incubator_format %}`: `{{ row.spread|score }}`, `{{ user|person }}`."""

from django import template

from incubator import display

register = template.Library()


@register.filter
def score(value) -> str:
    return display.score_text(value)


@register.filter
def person(user) -> str:
    return display.person_name(user)
