"""`{% load incubator_format %}`: `{{ row.spread|score }}`, `{{ user|person }}`."""

from django import template

from incubator import formats

register = template.Library()


@register.filter
def score(value) -> str:
    return formats.score_text(value)


@register.filter
def person(user) -> str:
    return formats.person_name(user)
